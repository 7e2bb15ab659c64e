import { DomainError, HistoryQuery, HistoryRead, SyncQuery, SyncRead } from '@realchat/domain';
import type { Database, Queryable } from '../database';
import { withDatabase } from '../db-errors';
import { PgConversationTx } from './conversation-tx';
import { readHistoryPage } from './history-page';
import { readSyncPage } from './sync-page';

export type { PgConversationTx };

/** What the store reports to its owner (message-api records it as metrics). */
export interface MessageStoreObserver {
  /** Seconds a write waited for its conversation's lock (conversation_lock_wait_seconds). */
  readonly lockWaitSeconds?: (seconds: number) => void;
}

export interface TxOptions {
  /** The caller's deadline: the whole transaction, lock wait included, must end before it. */
  readonly deadline?: Date;
}

/**
 * Messages and their outbox events in PostgreSQL (hot path: prepared statements). Implements
 * message-api's ConversationWrites and SyncPages ports (history included) structurally (this library does not
 * import the app; message-api's main.ts assigns it to the port types).
 */
export class MessageStore {
  /** The reads, on the primary (main.ts routes message-api's reads through MessageReads). */
  private readonly reads: MessageReads;

  constructor(
    private readonly db: Database,
    /** Longest a write transaction may run when the caller gave no (or a later) deadline. */
    private readonly maxTxMs = 10_000,
    private readonly observer: MessageStoreObserver = {},
  ) {
    this.reads = new MessageReads(db.pool);
  }

  /**
   * Runs `work` in one transaction that holds the conversation's write lock (a transaction-level
   * advisory lock on the conversation id). Every write of a conversation, by any message-api
   * instance, takes it before it takes a sequence number: commits therefore happen in sequence
   * order, and a reader can never see N+1 committed while N is still in flight.
   *
   * The caller's deadline bounds the whole transaction: a deadline that has already passed
   * fails before anything is sent, and one that passes during the lock wait or a statement
   * ends the transaction (rolled back) with DEADLINE_EXCEEDED.
   */
  async inConversation<T>(
    conversationId: string,
    options: TxOptions,
    work: (tx: PgConversationTx) => Promise<T>,
  ): Promise<T> {
    const { deadline } = options;
    const left = deadline ? deadline.getTime() - Date.now() : this.maxTxMs;
    if (left <= 0) {
      throw DomainError.deadlineExceeded(
        `deadline passed before conversation ${conversationId}'s write began; nothing was written`,
      );
    }
    return withDatabase(
      'writing a message',
      () =>
        this.db.transaction(
          {
            timeoutMs: Math.min(this.maxTxMs, left),
            lockKey: conversationId,
            onLockAcquired: this.observer.lockWaitSeconds,
          },
          (client) => work(new PgConversationTx(client, conversationId, deadline)),
        ),
      deadline,
    );
  }

  /** One page of a conversation's change stream, read in one snapshot. */
  readSync(query: SyncQuery): Promise<SyncRead> {
    return this.reads.readSync(query);
  }

  /** One backward page of a conversation (newest first), read in one snapshot. */
  readHistory(query: HistoryQuery): Promise<HistoryRead> {
    return this.reads.readHistory(query);
  }
}

/**
 * The reads of messages (message-api's SyncPages port), each one statement, so any server that
 * answers queries can serve them: the primary's pool, or ReadReplicas.reads.
 */
export class MessageReads {
  constructor(private readonly db: Queryable) {}

  /** One page of a conversation's change stream, read in one snapshot. */
  async readSync(query: SyncQuery): Promise<SyncRead> {
    return withDatabase('reading messages', () => readSyncPage(this.db, query));
  }

  /** One backward page of a conversation (newest first), read in one snapshot. */
  async readHistory(query: HistoryQuery): Promise<HistoryRead> {
    return withDatabase('reading history', () => readHistoryPage(this.db, query));
  }
}
