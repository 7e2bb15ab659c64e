import type { Database } from '../database';
import { withDatabase } from '../db-errors';
import type { ShardLease } from '../leases/shard-leases';
import { shardOfSql } from '../leases/shard-sql';

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

interface PendingRow {
  id: string;
  event_id: string;
  conversation_id: string;
  key_hash: number;
  event_type: number;
  schema_version: number;
  payload: Buffer;
  traceparent: string | null;
  created_at: Date;
  attempts: number;
}

/** Up to this many excluded ids the read ahead runs as a prepared statement (see pending()). */
const PREPARED_EXCLUDING_MAX = 64;

const PENDING_COLUMNS = `id, event_id, conversation_id, key_hash, event_type, schema_version, payload,
  traceparent, created_at, attempts`;

/** An outbox row by its id and conversation (statements on one row stay on its shard). */
export interface OutboxRowRef {
  readonly id: bigint;
  readonly conversationId: string;
}

/** The relay's view of the outbox: read pending rows, acknowledge, record failures, park. */
export class OutboxStore {
  constructor(
    private readonly db: Database,
    private readonly shardCount: number,
  ) {}

  /**
   * The oldest pending rows of the given shards, in id order. Within a conversation id order is
   * commit order (rows are inserted under the conversation's write lock), and rows leave the
   * table only when acknowledged, so nothing is skipped when ids of different conversations
   * commit out of order. No row lock is taken: shard leases make this replica the only reader.
   * PostgreSQL walks the primary key in id order and filters by shard (no index can serve a
   * modulo; docs/outbox-relay.md "Reading a shard's rows"). `excluding` names rows of batches
   * still in flight (the relay reads ahead): they are left out by id, never by an id cursor,
   * which would skip a row that committed late (docs/outbox-relay.md "Pipelining").
   */
  async pending(
    shards: readonly number[],
    limit: number,
    excluding: readonly bigint[] = [],
  ): Promise<PendingEvent[]> {
    if (shards.length === 0) return [];
    return withDatabase('reading the outbox', async () => {
      const { rows } = await this.db.pool.query<PendingRow>(
        excluding.length === 0
          ? {
              name: 'outbox_pending',
              text: `SELECT ${PENDING_COLUMNS} FROM outbox WHERE ${shardOfSql('key_hash', '$1::int')} = ANY($2::int[]) ORDER BY id LIMIT $3::int`,
              values: [this.shardCount, shards, limit],
            }
          : {
              // Few ids (a trickle of single rows): a prepared statement, planned once. Many
              // ids (a backlog): unnamed, so that PostgreSQL plans it with the array's values
              // and hashes them (0.7 ms for 1,000 ids over a 50,000-row backlog; a generic
              // plan compares each row with every id: 16-29 ms). Either way the name is in a
              // comment too, for pg_stat_activity and for tests that recognise the relay's
              // reads on the wire (relay-fencing.spec.ts).
              name:
                excluding.length <= PREPARED_EXCLUDING_MAX ? 'outbox_pending_excluding' : undefined,
              text: `/* outbox_pending_excluding */ SELECT ${PENDING_COLUMNS} FROM outbox
                     WHERE ${shardOfSql('key_hash', '$1::int')} = ANY($2::int[]) AND NOT (id = ANY($4::bigint[])) ORDER BY id LIMIT $3::int`,
              values: [this.shardCount, shards, limit, excluding.map(String)],
            },
      );
      return rows.map((r) => ({
        id: BigInt(r.id),
        eventId: r.event_id,
        conversationId: r.conversation_id,
        keyHash: r.key_hash,
        eventType: r.event_type,
        schemaVersion: r.schema_version,
        payload: r.payload,
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
    return withDatabase('acknowledging outbox rows', async () => {
      const { rowCount } = await this.db.pool.query({
        name: 'outbox_ack',
        text: `DELETE FROM outbox o
               USING unnest($1::int[], $2::bigint[]) AS f(shard, epoch), relay_shard_leases l
               WHERE o.id = ANY($3::bigint[])
                 AND f.shard = ${shardOfSql('o.key_hash', '$4::int')}
                 AND l.shard = f.shard AND l.epoch = f.epoch AND l.owner = $5 AND l.expires_at > now()`,
        values: [
          leases.map((l) => l.shard),
          leases.map((l) => l.epoch.toString()),
          ids.map(String),
          this.shardCount,
          replicaId,
        ],
      });
      return rowCount ?? 0;
    });
  }

  /** One round trip to PostgreSQL (readiness): resolves when it answered. */
  async ping(): Promise<void> {
    await withDatabase('pinging PostgreSQL', () => this.db.pool.query('SELECT 1'));
  }

  /** Records a failed attempt that was the row's own fault; returns the new attempt count. */
  async recordFailure(row: OutboxRowRef, error: string): Promise<number> {
    return withDatabase('recording a publish failure', async () => {
      const entry = JSON.stringify([{ at: new Date().toISOString(), error }]);
      const { rows } = await this.db.pool.query<{ attempts: number }>(
        `UPDATE outbox SET attempts = attempts + 1, error_history = error_history || $2::jsonb
         WHERE id = $1 AND conversation_id = $3 RETURNING attempts`,
        [row.id.toString(), entry, row.conversationId],
      );
      return rows[0]?.attempts ?? 0;
    });
  }

  /** Moves a row that can never be published to outbox_dead_letters, in one statement. */
  async park(row: OutboxRowRef): Promise<void> {
    await withDatabase('parking an outbox row', () =>
      this.db.pool.query(
        `WITH moved AS (DELETE FROM outbox WHERE id = $1 AND conversation_id = $2 RETURNING *)
         INSERT INTO outbox_dead_letters (id, event_id, conversation_id, key_hash, event_type, schema_version,
                                          payload, traceparent, created_at, attempts, errors)
         SELECT id, event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent,
                created_at, attempts, error_history FROM moved`,
        [row.id.toString(), row.conversationId],
      ),
    );
  }

  /** Puts parked rows back into the outbox (with a fresh attempt budget). Returns how many. */
  async requeue(ids: readonly bigint[]): Promise<number> {
    return withDatabase('requeueing dead letters', async () => {
      const { rowCount } = await this.db.pool.query(
        `WITH moved AS (DELETE FROM outbox_dead_letters WHERE id = ANY($1::bigint[]) RETURNING *)
         INSERT INTO outbox (id, event_id, conversation_id, key_hash, event_type, schema_version, payload,
                             traceparent, created_at, attempts, error_history)
         SELECT id, event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent,
                created_at, 0, errors FROM moved`,
        [ids.map(String)],
      );
      return rowCount ?? 0;
    });
  }

  /** Pending rows, the age of the oldest and parked rows (for metrics), in one statement. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number; deadLetters: number }> {
    return withDatabase('measuring the outbox', async () => {
      const { rows } = await this.db.pool.query<{
        pending: number;
        oldest: number | null;
        dead: number;
      }>(
        `SELECT (SELECT count(*)::int FROM outbox) AS pending,
                (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox) AS oldest,
                (SELECT count(*)::int FROM outbox_dead_letters) AS dead`,
      );
      return {
        pending: rows[0].pending,
        oldestAgeSeconds: rows[0].oldest ?? 0,
        deadLetters: rows[0].dead,
      };
    });
  }
}
