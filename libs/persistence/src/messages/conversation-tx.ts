import { DomainError, Message } from '@realchat/domain';
import type { PoolClient } from 'pg';
import type { OutboxEventInput } from '../outbox/event-envelope';
import { changeWithOutboxEvent } from '../outbox/outbox-writer';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from './message-mapper';

const insertMessage = changeWithOutboxEvent(
  'message_insert',
  `INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type, content,
                         metadata_json, idempotency_key, payload_hash, sent_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  10,
);

const saveDeletion = changeWithOutboxEvent(
  'message_delete',
  `UPDATE messages SET content = $2, metadata_json = $3, deleted_at = $4, deletion_sequence = $5,
                       deletion_mode = $6, deleted_by = $7
   WHERE message_id = $1`,
  7,
);

// The previous content is overwritten, not kept (docs/sync-contract.md "Edits").
const saveEdit = changeWithOutboxEvent(
  'message_edit',
  `UPDATE messages SET content = $2, metadata_json = $3, version = $4, edited_at = $5,
                       edit_sequence = $6
   WHERE message_id = $1`,
  6,
);

/**
 * The statements a use case runs while it holds a conversation's write lock (message-api's
 * ConversationTx port, satisfied structurally). Each checks the caller's deadline first, so
 * that no statement starts once it has passed.
 */
export class PgConversationTx {
  constructor(
    private readonly client: PoolClient,
    private readonly conversationId: string,
    private readonly deadline?: Date,
  ) {}

  async findByIdempotencyKey(
    senderUserId: string,
    idempotencyKey: string,
  ): Promise<Message | null> {
    this.checkDeadline();
    const { rows } = await this.client.query<MessageRow>({
      name: 'message_by_key',
      text: `SELECT ${MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = $1 AND sender_user_id = $2 AND idempotency_key = $3`,
      values: [this.conversationId, senderUserId, idempotencyKey],
    });
    return rows.length ? messageFromRow(rows[0]) : null;
  }

  async findMessage(messageId: string): Promise<Message | null> {
    this.checkDeadline();
    const { rows } = await this.client.query<MessageRow>({
      name: 'message_by_id',
      text: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE message_id = $1 AND conversation_id = $2`,
      values: [messageId, this.conversationId],
    });
    return rows.length ? messageFromRow(rows[0]) : null;
  }

  /** Inserts the message and its outbox event (and wakes relays) in one statement. */
  async insertMessage(message: Message, event: OutboxEventInput): Promise<void> {
    this.checkDeadline();
    const p = message.props;
    await this.client.query(
      insertMessage(
        [
          p.id,
          p.conversationId,
          p.senderUserId,
          p.sequence,
          p.messageType,
          p.content,
          p.metadataJson,
          p.idempotencyKey,
          p.payloadHash,
          p.sentAt,
        ],
        event,
      ),
    );
  }

  /**
   * Records the message's (new) deletion with its outbox event, in one statement; a hard
   * deletion also erases content and metadata.
   */
  async saveDeletion(message: Message, event: OutboxEventInput): Promise<void> {
    this.checkDeadline();
    const p = message.props;
    if (!p.deletion) throw new Error(`saveDeletion: message ${p.id} is not deleted`);
    await this.client.query(
      saveDeletion(
        [
          p.id,
          p.content,
          p.metadataJson,
          p.deletion.deletedAt,
          p.deletion.sequence,
          p.deletion.mode,
          p.deletion.actorUserId,
        ],
        event,
      ),
    );
  }

  /** Records the message's (new) edit with its outbox event, in one statement. */
  async saveEdit(message: Message, event: OutboxEventInput): Promise<void> {
    this.checkDeadline();
    const p = message.props;
    if (!p.edit) throw new Error(`saveEdit: message ${p.id} is not edited`);
    await this.client.query(
      saveEdit(
        [p.id, p.content, p.metadataJson, p.version, p.edit.editedAt, p.edit.sequence],
        event,
      ),
    );
  }

  private checkDeadline(): void {
    if (this.deadline && Date.now() >= this.deadline.getTime()) {
      throw DomainError.deadlineExceeded(
        `deadline passed in conversation ${this.conversationId}'s write; nothing was written`,
      );
    }
  }
}
