import { MAX_DELETIONS_PER_PAGE, Message, SyncQuery, SyncRead } from '@realchat/domain';
import type { PoolClient } from 'pg';
import type { Database } from '../database';
import { withDatabase } from '../db-errors';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from './message-mapper';
import type { OutboxEventInput } from '../outbox/event-envelope';
import { notifyRelays, outboxValues, withOutboxEvent } from '../outbox/outbox-writer';

/** What a use case may do while it holds a conversation's write lock. */
export interface ConversationTx {
  findByIdempotencyKey(senderUserId: string, idempotencyKey: string): Promise<Message | null>;
  findMessage(messageId: string): Promise<Message | null>;
  /** Inserts the message and its outbox event (and wakes relays) in one statement. */
  insertMessage(message: Message, event: OutboxEventInput): Promise<void>;
  /**
   * Records the message's (new) deletion with its outbox event, in one statement; a hard
   * deletion also erases content and metadata.
   */
  saveDeletion(message: Message, event: OutboxEventInput): Promise<void>;
}

export interface TxOptions {
  /** The caller's deadline: every statement of the transaction must finish before it. */
  readonly deadline?: Date;
}

const BY_KEY = `SELECT ${MESSAGE_COLUMNS} FROM messages
  WHERE conversation_id = $1 AND sender_user_id = $2 AND idempotency_key = $3`;

/** Messages and their outbox events in PostgreSQL (hot path: prepared statements). */
export class MessageStore {
  constructor(
    private readonly db: Database,
    /** Statement timeout of write transactions when the caller gave no deadline. */
    private readonly maxTxMs = 10_000,
  ) {}

  /**
   * Runs `work` in one transaction that holds the conversation's write lock (a transaction-level
   * advisory lock on the conversation id). Every write of a conversation, by any message-api
   * instance, takes it before it takes a sequence number: commits therefore happen in sequence
   * order, and a reader can never see N+1 committed while N is still in flight.
   */
  async inConversation<T>(
    conversationId: string,
    options: TxOptions,
    work: (tx: ConversationTx) => Promise<T>,
  ): Promise<T> {
    const remaining = options.deadline ? options.deadline.getTime() - Date.now() : this.maxTxMs;
    return withDatabase('writing a message', () =>
      this.db.transaction(
        (client) => work(new PgConversationTx(client, conversationId)),
        Math.min(this.maxTxMs, remaining),
        // Sent with BEGIN in one round trip; the id is escaped by the driver.
        (client) =>
          `SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(conversationId)}, 0))`,
      ),
    );
  }

  /**
   * Reads one page of the change stream in a single statement (one snapshot): the next
   * pageSize + 1 messages, the deletions up to the pageSize-th message, and the latest position.
   */
  async readSync(query: SyncQuery): Promise<SyncRead> {
    const { rows } = await withDatabase('reading messages', () =>
      this.db.pool.query<MessageRow & { kind: 'm' | 'd' | 'l' }>({
        name: 'sync_page',
        text: SYNC_PAGE,
        values: [query.conversationId, query.afterSequence, query.pageSize, MAX_DELETIONS_PER_PAGE],
      }),
    );
    const messages: Message[] = [];
    const deletions: Message[] = [];
    let latestSequence = 0;
    for (const r of rows) {
      if (r.kind === 'l') latestSequence = Number(r.sequence ?? 0);
      else (r.kind === 'm' ? messages : deletions).push(messageFromRow(r));
    }
    return { messages, deletions, latestSequence };
  }
}

// $1 conversation, $2 after, $3 page size, $4 most deletions.
const SYNC_PAGE = `
  WITH m AS (
    SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND sequence > $2
    ORDER BY sequence LIMIT $3::int + 1
  ), bound AS (
    SELECT CASE WHEN count(*) > $3::int
           THEN (SELECT sequence FROM m ORDER BY sequence OFFSET $3::int - 1 LIMIT 1) END AS upper
    FROM m
  ), d AS (
    SELECT ${MESSAGE_COLUMNS.split(', ')
      .map((c) => `messages.${c}`)
      .join(', ')} FROM messages, bound
    WHERE conversation_id = $1 AND deletion_sequence > $2
      AND (bound.upper IS NULL OR deletion_sequence <= bound.upper)
    ORDER BY deletion_sequence LIMIT $4::int + 1
  )
  SELECT 'm' AS kind, m.* FROM m
  UNION ALL SELECT 'd', d.* FROM d
  UNION ALL SELECT 'l', NULL, NULL, NULL,
    GREATEST((SELECT max(sequence) FROM messages WHERE conversation_id = $1),
             (SELECT max(deletion_sequence) FROM messages WHERE conversation_id = $1)),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`;

class PgConversationTx implements ConversationTx {
  constructor(
    private readonly client: PoolClient,
    private readonly conversationId: string,
  ) {}

  async findByIdempotencyKey(
    senderUserId: string,
    idempotencyKey: string,
  ): Promise<Message | null> {
    const { rows } = await this.client.query<MessageRow>({
      name: 'message_by_key',
      text: BY_KEY,
      values: [this.conversationId, senderUserId, idempotencyKey],
    });
    return rows.length ? messageFromRow(rows[0]) : null;
  }

  async findMessage(messageId: string): Promise<Message | null> {
    const { rows } = await this.client.query<MessageRow>({
      name: 'message_by_id',
      text: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE message_id = $1 AND conversation_id = $2`,
      values: [messageId, this.conversationId],
    });
    return rows.length ? messageFromRow(rows[0]) : null;
  }

  async insertMessage(message: Message, event: OutboxEventInput): Promise<void> {
    const p = message.props;
    await this.client.query({
      name: 'message_insert',
      text: `${withOutboxEvent(11)},
        message AS (
          INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type, content,
                                metadata_json, idempotency_key, payload_hash, sent_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10))
        ${notifyRelays(11)}`,
      values: [
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
        ...outboxValues(event),
      ],
    });
  }

  async saveDeletion(message: Message, event: OutboxEventInput): Promise<void> {
    const p = message.props;
    if (!p.deletion) throw new Error(`saveDeletion: message ${p.id} is not deleted`);
    await this.client.query({
      name: 'message_delete',
      text: `${withOutboxEvent(8)},
        deletion AS (
          UPDATE messages SET content = $2, metadata_json = $3, deleted_at = $4, deletion_sequence = $5,
                              deletion_mode = $6, deleted_by = $7
          WHERE message_id = $1)
        ${notifyRelays(8)}`,
      values: [
        p.id,
        p.content,
        p.metadataJson,
        p.deletion.deletedAt,
        p.deletion.sequence,
        p.deletion.mode,
        p.deletion.actorUserId,
        ...outboxValues(event),
      ],
    });
  }
}
