import { DomainError, Message } from '@realchat/domain';
import type { PoolClient } from 'pg';
import type { OutboxEventInput } from '../outbox/event-envelope';
import { changesWithOutboxEvents, changeWithOutboxEvent } from '../outbox/outbox-writer';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from './message-mapper';

const NEW_MESSAGE_COLUMNS =
  'message_id, conversation_id, sender_user_id, sequence, message_type, content, metadata_json, ' +
  'idempotency_key, payload_hash, sent_at';

/** n messages and their n events in one statement (a group commit's single round trip). */
const insertMessages = changesWithOutboxEvents(
  'messages_insert',
  `INSERT INTO messages (${NEW_MESSAGE_COLUMNS})
   SELECT m.message_id, m.conversation_id, m.sender_user_id, m.sequence, m.message_type, m.content,
          m.metadata_json, m.idempotency_key, m.payload_hash, m.sent_at
   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
               $8::text[], $9::text[], $10::timestamptz[])
        WITH ORDINALITY AS m(${NEW_MESSAGE_COLUMNS}, ord)
   ORDER BY m.ord`,
  10,
);

const saveDeletion = changeWithOutboxEvent(
  'message_delete',
  `UPDATE messages SET content = $2, metadata_json = $3, deleted_at = $4, deletion_sequence = $5,
                       deletion_mode = $6, deleted_by = $7
   WHERE message_id = $1 AND conversation_id = $8`,
  8,
);

// The previous content is overwritten, not kept (docs/sync-contract.md "Edits").
const saveEdit = changeWithOutboxEvent(
  'message_edit',
  `UPDATE messages SET content = $2, metadata_json = $3, version = $4, edited_at = $5,
                       edit_sequence = $6
   WHERE message_id = $1 AND conversation_id = $7`,
  7,
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

  /** The messages already stored under any of these (sender, idempotency key) pairs. */
  async findByIdempotencyKeys(
    keys: readonly { senderUserId: string; idempotencyKey: string }[],
  ): Promise<Message[]> {
    if (keys.length === 0) return [];
    this.checkDeadline();
    const { rows } = await this.client.query<MessageRow>({
      name: 'messages_by_keys',
      text: `SELECT ${MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = $1
               AND (sender_user_id, idempotency_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      values: [
        this.conversationId,
        keys.map((k) => k.senderUserId),
        keys.map((k) => k.idempotencyKey),
      ],
    });
    return rows.map(messageFromRow);
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

  /**
   * Inserts the messages and their outbox events (and wakes relays) in one statement; events
   * get outbox ids in the order given, which is the order relays publish them in.
   */
  async insertMessages(
    batch: readonly { message: Message; event: OutboxEventInput }[],
  ): Promise<void> {
    if (batch.length === 0) return;
    this.checkDeadline();
    const columns: unknown[][] = Array.from({ length: 10 }, () => []);
    for (const { message } of batch) {
      const p = message.props;
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
      ].forEach((v, i) => columns[i].push(v));
    }
    await this.client.query(
      insertMessages(
        columns,
        batch.map((b) => b.event),
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
          p.conversationId,
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
        [
          p.id,
          p.content,
          p.metadataJson,
          p.version,
          p.edit.editedAt,
          p.edit.sequence,
          this.conversationId,
        ],
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
