import type { Database } from '../database';
import { withDatabase } from '../db-errors';

/** A shard this replica owns; `epoch` fences acknowledgements after a change of owner. */
export interface ShardLease {
  readonly shard: number;
  readonly epoch: bigint;
}

const LEASE = `now() + $2::int * interval '1 millisecond'`;

/**
 * Shard ownership through leases in PostgreSQL; no global lock. A replica heartbeats, renews
 * what it owns, gives back what exceeds its fair share (ceil(shards / live replicas)) and takes
 * free or expired shards up to that share (the relay's LeaseKeeper runs these rounds). Taking a
 * shard increments its epoch, so a replica that lost it can no longer acknowledge its rows.
 */
export class ShardLeases {
  constructor(
    private readonly db: Database,
    private readonly replicaId: string,
    private readonly shardCount: number,
    private readonly leaseMs: number,
  ) {}

  /** Creates the lease rows of shards 0..shardCount-1 (idempotent). */
  async ensureShards(): Promise<void> {
    await withDatabase('creating shard leases', () =>
      this.db.pool.query(
        'INSERT INTO relay_shard_leases (shard) SELECT generate_series(0, $1::int - 1) ON CONFLICT DO NOTHING',
        [this.shardCount],
      ),
    );
  }

  /** Heartbeats this replica; returns how many replicas are alive (including this one). */
  async heartbeat(): Promise<number> {
    return withDatabase('heartbeating', async () => {
      const { rows } = await this.db.pool.query<{ n: number }>(
        `WITH beat AS (
           INSERT INTO relay_replicas (replica_id, expires_at) VALUES ($1, ${LEASE})
           ON CONFLICT (replica_id) DO UPDATE SET expires_at = EXCLUDED.expires_at RETURNING replica_id),
         gone AS (DELETE FROM relay_replicas WHERE expires_at < now() - interval '1 minute')
         SELECT 1 + count(*)::int AS n FROM relay_replicas WHERE expires_at > now() AND replica_id <> $1`,
        [this.replicaId, this.leaseMs],
      );
      return rows[0].n;
    });
  }

  /** Extends every unexpired lease this replica holds; returns them (what it still owns). */
  async renew(): Promise<ShardLease[]> {
    return withDatabase('renewing shard leases', async () => {
      const { rows } = await this.db.pool.query<{ shard: number; epoch: string }>(
        `UPDATE relay_shard_leases SET expires_at = ${LEASE} WHERE owner = $1 AND expires_at > now() RETURNING shard, epoch`,
        [this.replicaId, this.leaseMs],
      );
      return rows.map(toLease);
    });
  }

  /** Takes up to `count` free or expired shards, bumping their epoch (fencing the old owner). */
  async acquire(count: number): Promise<ShardLease[]> {
    if (count <= 0) return [];
    return withDatabase('acquiring shard leases', async () => {
      const { rows } = await this.db.pool.query<{ shard: number; epoch: string }>(
        `UPDATE relay_shard_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = ${LEASE}
         WHERE l.shard IN (
           SELECT shard FROM relay_shard_leases
           WHERE owner IS NULL OR expires_at IS NULL OR expires_at <= now()
           ORDER BY shard LIMIT $3::int FOR UPDATE SKIP LOCKED)
         RETURNING l.shard, l.epoch`,
        [this.replicaId, this.leaseMs, count],
      );
      return rows.map(toLease);
    });
  }

  /** Gives shards back at once (used on shutdown and to rebalance) so others take them now. */
  async release(shards: readonly number[]): Promise<void> {
    if (shards.length === 0) return;
    await withDatabase('releasing shard leases', () =>
      this.db.pool.query(
        'UPDATE relay_shard_leases SET owner = NULL, expires_at = NULL WHERE owner = $1 AND shard = ANY($2::int[])',
        [this.replicaId, shards],
      ),
    );
  }

  /** Leaves the group: releases every shard and removes the heartbeat. */
  async leave(): Promise<void> {
    await withDatabase('leaving the relay group', () =>
      this.db.pool.query(
        `WITH released AS (UPDATE relay_shard_leases SET owner = NULL, expires_at = NULL WHERE owner = $1)
         DELETE FROM relay_replicas WHERE replica_id = $1`,
        [this.replicaId],
      ),
    );
  }
}

function toLease(r: { shard: number; epoch: string }): ShardLease {
  return { shard: r.shard, epoch: BigInt(r.epoch) };
}
