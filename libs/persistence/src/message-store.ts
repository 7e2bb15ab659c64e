import { Message, SyncQuery, SyncRead, MAX_DELETIONS_PER_PAGE } from '@realchat/domain';
import { withDatabase } from './db-errors';
import type { Message as MessageRow, Prisma, PrismaClient } from './generated/prisma/client';
import { messageFromRow } from './message-mapper';
import { OutboxEventInput, writeOutboxEvent } from './outbox-writer';

/** What a use case may do while it holds a conversation's write lock. */
export interface ConversationTx {
  findByIdempotencyKey(senderUserId: string, idempotencyKey: string): Promise<Message | null>;
  findMessage(messageId: string): Promise<Message | null>;
  insertMessage(message: Message): Promise<void>;
  /** Records the message's (new) deletion; a hard deletion also erases content and metadata. */
  saveDeletion(message: Message): Promise<void>;
  enqueue(event: OutboxEventInput): Promise<void>;
}

export interface TxOptions {
  /** The caller's deadline: the transaction is aborted when it passes. */
  readonly deadline?: Date;
}

/** Messages and their outbox events in PostgreSQL. */
export class MessageStore {
  constructor(
    private readonly prisma: PrismaClient,
    /** Longest a write transaction may stay open when the caller gave no deadline. */
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
    const timeout = Math.max(1, Math.min(this.maxTxMs, remaining));
    return withDatabase('writing a message', () =>
      this.prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${conversationId}, 0))`;
          return work(new PrismaConversationTx(tx, conversationId));
        },
        { maxWait: timeout, timeout },
      ),
    );
  }

  /** The message sent with this key, read without the lock (the fast path for retries). */
  async findByIdempotencyKey(
    conversationId: string,
    senderUserId: string,
    key: string,
  ): Promise<Message | null> {
    return withDatabase('looking up an idempotency key', async () => {
      const row = await this.prisma.message.findUnique({
        where: {
          conversationId_senderUserId_idempotencyKey: {
            conversationId,
            senderUserId,
            idempotencyKey: key,
          },
        },
      });
      return row ? messageFromRow(row) : null;
    });
  }

  /**
   * Reads one page of the change stream in a single statement (one snapshot): the next
   * pageSize + 1 messages, the deletions up to the pageSize-th message, and the latest position.
   */
  async readSync(query: SyncQuery): Promise<SyncRead> {
    const { conversationId: c, afterSequence: after, pageSize } = query;
    const rows = await withDatabase(
      'reading messages',
      () =>
        this.prisma.$queryRaw<(RawMessageRow & { kind: 'm' | 'd' | 'l' })[]>`
        WITH m AS (
          SELECT * FROM messages WHERE conversation_id = ${c} AND sequence > ${after}
          ORDER BY sequence LIMIT ${pageSize + 1}
        ), bound AS (
          SELECT CASE WHEN count(*) > ${pageSize}
                 THEN (SELECT sequence FROM m ORDER BY sequence OFFSET ${pageSize - 1} LIMIT 1) END AS upper
          FROM m
        ), d AS (
          SELECT messages.* FROM messages, bound
          WHERE conversation_id = ${c} AND deletion_sequence > ${after}
            AND (bound.upper IS NULL OR deletion_sequence <= bound.upper)
          ORDER BY deletion_sequence LIMIT ${MAX_DELETIONS_PER_PAGE + 1}
        )
        SELECT 'm' AS kind, m.* FROM m
        UNION ALL SELECT 'd', d.* FROM d
        UNION ALL SELECT 'l', NULL, NULL, NULL,
          GREATEST((SELECT max(sequence) FROM messages WHERE conversation_id = ${c}),
                   (SELECT max(deletion_sequence) FROM messages WHERE conversation_id = ${c})),
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
    );
    const messages: Message[] = [];
    const deletions: Message[] = [];
    let latestSequence = 0;
    for (const r of rows) {
      if (r.kind === 'l') latestSequence = Number(r.sequence ?? 0);
      else (r.kind === 'm' ? messages : deletions).push(messageFromRow(fromRaw(r)));
    }
    return { messages, deletions, latestSequence };
  }
}

/** Column names as `SELECT *` returns them. */
interface RawMessageRow {
  message_id: string;
  conversation_id: string;
  sender_user_id: string;
  sequence: bigint | null;
  message_type: string;
  content: string | null;
  metadata_json: string | null;
  idempotency_key: string | null;
  payload_hash: string;
  sent_at: Date;
  deleted_at: Date | null;
  deletion_sequence: bigint | null;
  deletion_mode: string | null;
  deleted_by: string | null;
}

function fromRaw(r: RawMessageRow): MessageRow {
  return {
    messageId: r.message_id,
    conversationId: r.conversation_id,
    senderUserId: r.sender_user_id,
    sequence: r.sequence ?? 0n,
    messageType: r.message_type,
    content: r.content,
    metadataJson: r.metadata_json,
    idempotencyKey: r.idempotency_key,
    payloadHash: r.payload_hash,
    sentAt: r.sent_at,
    deletedAt: r.deleted_at,
    deletionSequence: r.deletion_sequence,
    deletionMode: r.deletion_mode,
    deletedBy: r.deleted_by,
  };
}

class PrismaConversationTx implements ConversationTx {
  constructor(
    private readonly tx: Prisma.TransactionClient,
    private readonly conversationId: string,
  ) {}

  async findByIdempotencyKey(
    senderUserId: string,
    idempotencyKey: string,
  ): Promise<Message | null> {
    const row = await this.tx.message.findUnique({
      where: {
        conversationId_senderUserId_idempotencyKey: {
          conversationId: this.conversationId,
          senderUserId,
          idempotencyKey,
        },
      },
    });
    return row ? messageFromRow(row) : null;
  }

  async findMessage(messageId: string): Promise<Message | null> {
    const row = await this.tx.message.findUnique({ where: { messageId } });
    return row && row.conversationId === this.conversationId ? messageFromRow(row) : null;
  }

  async insertMessage(message: Message): Promise<void> {
    const p = message.props;
    await this.tx.message.create({
      data: {
        messageId: p.id,
        conversationId: p.conversationId,
        senderUserId: p.senderUserId,
        sequence: BigInt(p.sequence),
        messageType: p.messageType,
        content: p.content,
        metadataJson: p.metadataJson,
        idempotencyKey: p.idempotencyKey,
        payloadHash: p.payloadHash,
        sentAt: p.sentAt,
      },
    });
  }

  async saveDeletion(message: Message): Promise<void> {
    const p = message.props;
    if (!p.deletion) throw new Error(`saveDeletion: message ${p.id} is not deleted`);
    await this.tx.message.update({
      where: { messageId: p.id },
      data: {
        content: p.content,
        metadataJson: p.metadataJson,
        deletedAt: p.deletion.deletedAt,
        deletionSequence: BigInt(p.deletion.sequence),
        deletionMode: p.deletion.mode,
        deletedBy: p.deletion.actorUserId,
      },
    });
  }

  enqueue(event: OutboxEventInput): Promise<void> {
    return writeOutboxEvent(this.tx, event);
  }
}
