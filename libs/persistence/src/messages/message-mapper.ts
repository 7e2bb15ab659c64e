import { DeletionMode, Message } from '@realchat/domain';

/** A `messages` row as node-postgres returns it (int8 columns arrive as strings). */
export interface MessageRow {
  message_id: string;
  conversation_id: string;
  sender_user_id: string;
  sequence: string;
  message_type: string;
  content: string | null;
  metadata_json: string | null;
  idempotency_key: string | null;
  payload_hash: string;
  sent_at: Date;
  deleted_at: Date | null;
  deletion_sequence: string | null;
  deletion_mode: string | null;
  deleted_by: string | null;
  version: string;
  edited_at: Date | null;
  edit_sequence: string | null;
}

/** The columns of MessageRow, in table order. */
export const MESSAGE_COLUMNS =
  'message_id, conversation_id, sender_user_id, sequence, message_type, content, metadata_json, ' +
  'idempotency_key, payload_hash, sent_at, deleted_at, deletion_sequence, deletion_mode, deleted_by, ' +
  'version, edited_at, edit_sequence';

/** Loads a domain message from its row (sequences fit in a double: they stay below 2^53). */
export function messageFromRow(row: MessageRow): Message {
  return Message.fromRow({
    id: row.message_id,
    conversationId: row.conversation_id,
    senderUserId: row.sender_user_id,
    sequence: Number(row.sequence),
    messageType: row.message_type,
    content: row.content,
    metadataJson: row.metadata_json,
    idempotencyKey: row.idempotency_key,
    payloadHash: row.payload_hash,
    sentAt: row.sent_at,
    deletion:
      row.deleted_at && row.deletion_sequence !== null
        ? {
            sequence: Number(row.deletion_sequence),
            deletedAt: row.deleted_at,
            mode: row.deletion_mode as DeletionMode,
            actorUserId: row.deleted_by ?? '',
          }
        : null,
    version: Number(row.version),
    edit:
      row.edited_at && row.edit_sequence !== null
        ? { sequence: Number(row.edit_sequence), editedAt: row.edited_at }
        : null,
  });
}
