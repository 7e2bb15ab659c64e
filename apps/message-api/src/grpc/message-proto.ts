import type {
  DeleteMessageInput,
  DeletionMode as Mode,
  DeletionView,
  EditMessageInput,
  HistoryPage,
  MessageView,
  SendMessageInput,
  SyncPage,
} from '@realchat/domain';
import { DomainError } from '@realchat/domain';
import {
  DeleteMessageRequest,
  Deletion,
  DeletionMode,
  EditMessageRequest,
  Message,
  ReadHistoryRequest,
  ReadHistoryResponse,
  SendMessageRequest,
  SyncMessagesRequest,
  SyncMessagesResponse,
} from '@realchat/proto';

/** Requests to use case inputs, and results back: the only place that knows both shapes. */

export function fromSendRequest(req: SendMessageRequest): SendMessageInput {
  return {
    conversationId: req.conversationId,
    senderUserId: req.senderUserId,
    idempotencyKey: req.idempotencyKey,
    messageType: req.messageType,
    content: req.content,
    metadataJson: req.metadataJson,
  };
}

export function fromDeleteRequest(req: DeleteMessageRequest): DeleteMessageInput {
  return {
    conversationId: req.conversationId,
    messageId: req.messageId,
    actorUserId: req.actorUserId,
    mode: deletionModeOf(req.mode),
  };
}

export function fromSyncRequest(req: SyncMessagesRequest): {
  conversationId: string;
  afterSequence: number;
  pageSize: number;
} {
  return {
    conversationId: req.conversationId,
    afterSequence: req.afterSequence,
    pageSize: req.pageSize,
  };
}

export function fromHistoryRequest(req: ReadHistoryRequest): {
  conversationId: string;
  beforeSequence: number;
  pageSize: number;
} {
  return {
    conversationId: req.conversationId,
    beforeSequence: req.beforeSequence,
    pageSize: req.pageSize,
  };
}

export function fromEditRequest(req: EditMessageRequest): EditMessageInput {
  return {
    conversationId: req.conversationId,
    messageId: req.messageId,
    editorUserId: req.editorUserId,
    content: req.content,
    metadataJson: req.metadataJson,
    expectedVersion: req.expectedVersion,
  };
}

function deletionModeOf(mode: DeletionMode): Mode {
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

export function toProtoDeletionMode(mode: Mode | null): DeletionMode {
  if (mode === 'soft') return DeletionMode.DELETION_MODE_SOFT;
  if (mode === 'hard') return DeletionMode.DELETION_MODE_HARD;
  return DeletionMode.DELETION_MODE_UNSPECIFIED;
}

// A sent message is needed as proto twice: in its outbox event (inside the transaction) and in
// the response. The event side maps it once and remembers the result for that view object, so
// the response reuses it; other views (replays, sync pages) are mapped without being remembered.
const mappedForEvent = new WeakMap<MessageView, Message>();

/** A served message (a tombstone once deleted) as realchat.message.v1.Message. */
export function toProtoMessage(m: MessageView): Message {
  return mappedForEvent.get(m) ?? mapMessage(m);
}

/** toProtoMessage for an event, remembered for the response to the same send. */
export function toProtoMessageForEvent(m: MessageView): Message {
  const mapped = mapMessage(m);
  mappedForEvent.set(m, mapped);
  return mapped;
}

function mapMessage(m: MessageView): Message {
  return {
    messageId: m.id,
    conversationId: m.conversationId,
    senderUserId: m.senderUserId,
    sequence: m.sequence,
    messageType: m.messageType,
    content: m.content,
    metadataJson: m.metadataJson,
    sentAt: m.sentAt,
    deletedAt: m.deletedAt ?? undefined,
    deletionMode: toProtoDeletionMode(m.deletionMode),
    version: m.version,
    editedAt: m.editedAt ?? undefined,
    editSequence: m.editSequence,
  };
}

export function toProtoDeletion(d: DeletionView): Deletion {
  return {
    messageId: d.messageId,
    deletionSequence: d.deletionSequence,
    deletedAt: d.deletedAt,
    mode: toProtoDeletionMode(d.mode),
    messageSequence: d.messageSequence,
  };
}

export function toSyncResponse(page: SyncPage): SyncMessagesResponse {
  return {
    messages: page.messages.map(toProtoMessage),
    deletions: page.deletions.map(toProtoDeletion),
    edits: page.edits.map((m) => ({ message: toProtoMessage(m), editSequence: m.editSequence })),
    nextAfterSequence: page.nextAfterSequence,
    hasMore: page.hasMore,
    latestSequence: page.latestSequence,
  };
}

export function toHistoryResponse(page: HistoryPage): ReadHistoryResponse {
  return {
    messages: page.messages.map(toProtoMessage),
    nextBeforeSequence: page.nextBeforeSequence,
    hasOlder: page.hasOlder,
    latestSequence: page.latestSequence,
  };
}
