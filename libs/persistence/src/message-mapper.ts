import { DeletionMode, Message } from '@realchat/domain';
import type { Message as MessageRow } from './generated/prisma/client';

/** Loads a domain message from its row (BigInt columns become numbers: sequences < 2^53). */
export function messageFromRow(row: MessageRow): Message {
  return Message.fromRow({
    id: row.messageId,
    conversationId: row.conversationId,
    senderUserId: row.senderUserId,
    sequence: Number(row.sequence),
    messageType: row.messageType,
    content: row.content,
    metadataJson: row.metadataJson,
    idempotencyKey: row.idempotencyKey,
    payloadHash: row.payloadHash,
    sentAt: row.sentAt,
    deletion:
      row.deletedAt && row.deletionSequence !== null
        ? {
            sequence: Number(row.deletionSequence),
            deletedAt: row.deletedAt,
            mode: row.deletionMode as DeletionMode,
            actorUserId: row.deletedBy ?? '',
          }
        : null,
  });
}
