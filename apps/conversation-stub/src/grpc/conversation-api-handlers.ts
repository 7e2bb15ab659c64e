import { PARTICIPANT_ROLE_CODE, participantRoleOf } from '@realchat/domain';
import { unary } from '@realchat/platform';
import type { ConversationRecord } from '@realchat/persistence/conversations';
import {
  Conversation,
  ConversationApiServer,
  ConversationType,
  ParticipantRole,
} from '@realchat/proto';
import type { Logger } from 'pino';
import type { Conversations } from '../app/conversations';

/** realchat.conversation.v1.ConversationApi: proto -> command -> proto. */
export function conversationApiHandlers(
  conversations: Conversations,
  logger: Logger,
): ConversationApiServer {
  return {
    createConversation: unary('CreateConversation', logger, async (req) => {
      const c = await conversations.create({
        conversationId: req.conversationId,
        kind:
          req.type === ConversationType.DIRECT
            ? 'direct'
            : req.type === ConversationType.GROUP
              ? 'group'
              : null,
        displayName: req.displayName,
        avatarUrl: req.avatarUrl,
        participantUserIds: req.participantUserIds,
      });
      return { conversation: toProto(c) };
    }),
    getConversation: unary('GetConversation', logger, async (req) => {
      const c = await conversations.get(req.conversationId);
      return { conversation: toProto(c), participantUserIds: c.participants.map((p) => p.userId) };
    }),
    listConversations: unary('ListConversations', logger, async (req) => ({
      conversations: (await conversations.list(req.userId)).map(toProto),
    })),
    addParticipant: unary('AddParticipant', logger, async (req) => {
      const role = participantRoleOf(req.role);
      await conversations.addParticipant(
        req.conversationId,
        req.actorUserId,
        req.targetUserId,
        role,
      );
      return {};
    }),
    removeParticipant: unary('RemoveParticipant', logger, async (req) => {
      await conversations.removeParticipant(req.conversationId, req.actorUserId, req.targetUserId);
      return {};
    }),
    nextSequence: unary('NextSequence', logger, async (req) => {
      const range = await conversations.nextSequence(req.conversationId, req.count);
      return { sequence: range.last, firstSequence: range.first };
    }),
  };
}

function toProto(c: ConversationRecord): Conversation {
  return {
    conversationId: c.conversationId,
    displayName: c.displayName,
    avatarUrl: c.avatarUrl,
    createdAt: c.createdAt,
    type: c.kind === 'direct' ? ConversationType.DIRECT : ConversationType.GROUP,
    participantUserIds: c.participants.map((p) => p.userId),
    participantsWithRoles: c.participants.map((p) => ({
      userId: p.userId,
      role: PARTICIPANT_ROLE_CODE[p.role] as ParticipantRole,
    })),
  };
}
