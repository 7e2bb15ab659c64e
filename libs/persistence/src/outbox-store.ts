import { withDatabase } from './db-errors';
import type { PrismaClient } from './generated/prisma/client';
import type { ShardLease } from './shard-leases';

/** An outbox row as the relay publishes it. */
export interface PendingEvent {
  readonly id: bigint;
  readonly eventId: string;
  readonly conversationId: string;
  readonly keyHash: number;
  readonly eventType: number;
  readonly schemaVersion: number;
  readonly payload: Buffer;
  readonly traceparent: string | null;
  readonly createdAt: Date;
  readonly attempts: number;
}

/** The relay's view of the outbox: read pending rows, acknowledge, record failures, park. */
export class OutboxStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly shardCount: number,
  ) {}

  /**
   * The oldest pending rows of the given shards, in id order. Within a conversation id order is
   * commit order (rows are inserted under the conversation's write lock), and rows leave the
   * table only when acknowledged, so nothing is skipped when ids of different conversations
   * commit out of order. No row lock is taken: shard leases make this replica the only reader.
   */
  async pending(shards: readonly number[], limit: number): Promise<PendingEvent[]> {
    if (shards.length === 0) return [];
    return withDatabase('reading the outbox', async () => {
      const rows = await this.prisma.$queryRaw<RawPending[]>`
        SELECT id, event_id, conversation_id, key_hash, event_type, schema_version, payload,
               traceparent, created_at, attempts
        FROM outbox WHERE key_hash % ${this.shardCount}::int = ANY(${[...shards]}::int[])
        ORDER BY id LIMIT ${limit}::int`;
      return rows.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        conversationId: r.conversation_id,
        keyHash: r.key_hash,
        eventType: r.event_type,
        schemaVersion: r.schema_version,
        payload: Buffer.from(r.payload),
        traceparent: r.traceparent,
        createdAt: r.created_at,
        attempts: r.attempts,
      }));
    });
  }

  /**
   * Deletes published rows, but only those of shards this replica still owns at the epoch it
   * published under (fencing): a replica that lost a shard cannot remove the new owner's rows.
   * Returns how many rows were deleted.
   */
  async acknowledge(
    ids: readonly bigint[],
    leases: readonly ShardLease[],
    replicaId: string,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    return withDatabase(
      'acknowledging outbox rows',
      () =>
        this.prisma.$executeRaw`
        DELETE FROM outbox o
        USING unnest(${leases.map((l) => l.shard)}::int[], ${leases.map((l) => l.epoch)}::bigint[]) AS f(shard, epoch),
              relay_shard_leases l
        WHERE o.id = ANY(${[...ids]}::bigint[])
          AND f.shard = o.key_hash % ${this.shardCount}::int
          AND l.shard = f.shard AND l.epoch = f.epoch AND l.owner = ${replicaId} AND l.expires_at > now()`,
    );
  }

  /** Records a failed attempt that was the row's own fault; returns the new attempt count. */
  async recordFailure(id: bigint, error: string): Promise<number> {
    return withDatabase('recording a publish failure', async () => {
      const entry = JSON.stringify([{ at: new Date().toISOString(), error }]);
      const rows = await this.prisma.$queryRaw<{ attempts: number }[]>`
        UPDATE outbox SET attempts = attempts + 1, error_history = error_history || ${entry}::jsonb
        WHERE id = ${id} RETURNING attempts`;
      return rows[0]?.attempts ?? 0;
    });
  }

  /** Moves a row that can never be published to outbox_dead_letters, in one transaction. */
  async park(id: bigint): Promise<void> {
    await withDatabase(
      'parking an outbox row',
      () =>
        this.prisma.$executeRaw`
        WITH moved AS (DELETE FROM outbox WHERE id = ${id} RETURNING *)
        INSERT INTO outbox_dead_letters (id, event_id, conversation_id, key_hash, event_type, schema_version,
                                         payload, traceparent, created_at, attempts, errors)
        SELECT id, event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent,
               created_at, attempts, error_history FROM moved`,
    );
  }

  /** Puts parked rows back into the outbox (with a fresh attempt budget). Returns how many. */
  async requeue(ids: readonly bigint[]): Promise<number> {
    return withDatabase(
      'requeueing dead letters',
      () =>
        this.prisma.$executeRaw`
        WITH moved AS (DELETE FROM outbox_dead_letters WHERE id = ANY(${[...ids]}::bigint[]) RETURNING *)
        INSERT INTO outbox (id, event_id, conversation_id, key_hash, event_type, schema_version, payload,
                            traceparent, created_at, attempts, error_history)
        SELECT id, event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent,
               created_at, 0, errors FROM moved`,
    );
  }

  /** Pending rows and the age of the oldest (for metrics), in one statement. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number; deadLetters: number }> {
    return withDatabase('measuring the outbox', async () => {
      const [r] = await this.prisma.$queryRaw<
        { pending: number; oldest: number | null; dead: number }[]
      >`
        SELECT (SELECT count(*)::int FROM outbox) AS pending,
               (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox) AS oldest,
               (SELECT count(*)::int FROM outbox_dead_letters) AS dead`;
      return { pending: r.pending, oldestAgeSeconds: r.oldest ?? 0, deadLetters: r.dead };
    });
  }
}

interface RawPending {
  id: bigint;
  event_id: string;
  conversation_id: string;
  key_hash: number;
  event_type: number;
  schema_version: number;
  payload: Uint8Array;
  traceparent: string | null;
  created_at: Date;
  attempts: number;
}
