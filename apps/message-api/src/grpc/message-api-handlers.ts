import { DomainError } from '@realchat/domain';
import { requireUser, unary } from '@realchat/platform';
import {
  DeleteMessageRequest,
  DeleteMessageResponse,
  DeletionMode,
  MessageApiServer,
  SendMessageRequest,
  SendMessageResponse,
  SyncMessagesRequest,
  SyncMessagesResponse,
} from '@realchat/proto';
import type { Logger } from 'pino';
import type { DeleteMessage } from '../app/delete-message';
import { toProtoDeletion, toProtoMessage } from '../app/message-proto';
import type { SendMessage } from '../app/send-message';
import type { SyncMessages } from '../app/sync-messages';

export interface UseCases {
  readonly send: SendMessage;
  readonly delete: DeleteMessage;
  readonly sync: SyncMessages;
}

/** realchat.message.v1.MessageApi: proto -> command -> proto, nothing else. */
export function messageApiHandlers(useCases: UseCases, logger: Logger): MessageApiServer {
  return {
    sendMessage: unary<SendMessageRequest, SendMessageResponse>(
      'SendMessage',
      logger,
      async (req, ctx) => {
        const userId = requireUser(ctx);
        const message = await useCases.send.execute(
          {
            conversationId: req.conversationId,
            senderUserId: req.senderUserId,
            idempotencyKey: req.idempotencyKey,
            messageType: req.messageType,
            content: req.content,
            metadataJson: req.metadataJson,
          },
          { ...ctx, userId },
        );
        return { message: toProtoMessage(message) };
      },
    ),

    deleteMessage: unary<DeleteMessageRequest, DeleteMessageResponse>(
      'DeleteMessage',
      logger,
      async (req, ctx) => {
        const userId = requireUser(ctx);
        const deletion = await useCases.delete.execute(
          {
            conversationId: req.conversationId,
            messageId: req.messageId,
            actorUserId: req.actorUserId,
            mode: deletionMode(req.mode),
          },
          { ...ctx, userId },
        );
        return { deletion: toProtoDeletion(deletion) };
      },
    ),

    syncMessages: unary<SyncMessagesRequest, SyncMessagesResponse>(
      'SyncMessages',
      logger,
      async (req, ctx) => {
        const userId = requireUser(ctx);
        const page = await useCases.sync.execute(
          {
            conversationId: req.conversationId,
            afterSequence: req.afterSequence,
            pageSize: req.pageSize,
          },
          { ...ctx, userId },
        );
        return {
          messages: page.messages.map(toProtoMessage),
          deletions: page.deletions.map(toProtoDeletion),
          nextAfterSequence: page.nextAfterSequence,
          hasMore: page.hasMore,
          latestSequence: page.latestSequence,
        };
      },
    ),
  };
}

function deletionMode(mode: DeletionMode): 'soft' | 'hard' {
  switch (mode) {
    case DeletionMode.DELETION_MODE_UNSPECIFIED:
    case DeletionMode.DELETION_MODE_SOFT:
      return 'soft';
    case DeletionMode.DELETION_MODE_HARD:
      return 'hard';
    default:
      throw DomainError.invalid([
        { field: 'mode', description: 'must be DELETION_MODE_SOFT or DELETION_MODE_HARD' },
      ]);
  }
}
