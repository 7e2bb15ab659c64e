import type { DeletionMode as Mode, DeletionView, MessageView } from '@realchat/domain';
import { Deletion, DeletionMode, Message } from '@realchat/proto';

export function toProtoDeletionMode(mode: Mode | null): DeletionMode {
  if (mode === 'soft') return DeletionMode.DELETION_MODE_SOFT;
  if (mode === 'hard') return DeletionMode.DELETION_MODE_HARD;
  return DeletionMode.DELETION_MODE_UNSPECIFIED;
}

/** A served message (a tombstone once deleted) as realchat.message.v1.Message. */
export function toProtoMessage(m: MessageView): Message {
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
