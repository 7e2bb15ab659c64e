import { withDatabase } from './db-errors';
import type { PrismaClient } from './generated/prisma/client';

/** A shard this replica owns; `epoch` fences acknowledgements after a change of owner. */
export interface ShardLease {
  readonly shard: number;
  readonly epoch: bigint;
}

/**
 * Shard ownership through leases in PostgreSQL; no global lock. A replica heartbeats, renews
 * what it owns, gives back what exceeds its fair share (ceil(shards / live replicas)) and takes
 * free or expired shards up to that share (the relay's LeaseKeeper runs these rounds). Taking a
 * shard increments its epoch, so a replica that lost it can no longer acknowledge its rows.
 */
export class ShardLeases {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly replicaId: string,
    private readonly shardCount: number,
    private readonly leaseMs: number,
  ) {}

  /** Creates the lease rows of shards 0..shardCount-1 (idempotent). */
  async ensureShards(): Promise<void> {
    await withDatabase(
      'creating shard leases',
      () =>
        this.prisma.$executeRaw`INSERT INTO relay_shard_leases (shard)
        SELECT generate_series(0, ${this.shardCount}::int - 1) ON CONFLICT DO NOTHING`,
    );
  }

  /** Heartbeats this replica; returns how many replicas are alive (including this one). */
  async heartbeat(): Promise<number> {
    return withDatabase('heartbeating', async () => {
      const ms = this.leaseMs;
      await this.prisma.$executeRaw`INSERT INTO relay_replicas (replica_id, expires_at)
        VALUES (${this.replicaId}, now() + ${ms}::int * interval '1 millisecond')
        ON CONFLICT (replica_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`;
      await this.prisma
        .$executeRaw`DELETE FROM relay_replicas WHERE expires_at < now() - interval '1 minute'`;
      const [{ n }] = await this.prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM relay_replicas WHERE expires_at > now()`;
      return Math.max(1, n);
    });
  }

  /** Extends every unexpired lease this replica holds; returns them (what it still owns). */
  async renew(): Promise<ShardLease[]> {
    return withDatabase(
      'renewing shard leases',
      () =>
        this.prisma.$queryRaw<ShardLease[]>`
        UPDATE relay_shard_leases SET expires_at = now() + ${this.leaseMs}::int * interval '1 millisecond'
        WHERE owner = ${this.replicaId} AND expires_at > now() RETURNING shard, epoch`,
    );
  }

  /** Takes up to `count` free or expired shards, bumping their epoch (fencing the old owner). */
  async acquire(count: number): Promise<ShardLease[]> {
    if (count <= 0) return [];
    return withDatabase(
      'acquiring shard leases',
      () =>
        this.prisma.$queryRaw<ShardLease[]>`
        UPDATE relay_shard_leases l SET owner = ${this.replicaId}, epoch = l.epoch + 1,
          expires_at = now() + ${this.leaseMs}::int * interval '1 millisecond'
        WHERE l.shard IN (
          SELECT shard FROM relay_shard_leases
          WHERE owner IS NULL OR expires_at IS NULL OR expires_at <= now()
          ORDER BY shard LIMIT ${count}::int FOR UPDATE SKIP LOCKED)
        RETURNING l.shard, l.epoch`,
    );
  }

  /** Gives shards back at once (used on shutdown and to rebalance) so others take them now. */
  async release(shards: readonly number[]): Promise<void> {
    if (shards.length === 0) return;
    await withDatabase(
      'releasing shard leases',
      () =>
        this.prisma.$executeRaw`UPDATE relay_shard_leases SET owner = NULL, expires_at = NULL
        WHERE owner = ${this.replicaId} AND shard = ANY(${[...shards]}::int[])`,
    );
  }

  /** Leaves the group: releases every shard and removes the heartbeat. */
  async leave(): Promise<void> {
    await withDatabase('leaving the relay group', async () => {
      await this.prisma.$executeRaw`UPDATE relay_shard_leases SET owner = NULL, expires_at = NULL
        WHERE owner = ${this.replicaId}`;
      await this.prisma
        .$executeRaw`DELETE FROM relay_replicas WHERE replica_id = ${this.replicaId}`;
    });
  }
}
