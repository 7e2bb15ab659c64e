import type { LeaseStore, ShardLease } from '../../src/relay/ports';

interface Row {
  owner: string | null;
  epoch: bigint;
  expiresAt: number | null;
}

/**
 * relay_shard_leases and relay_replicas in memory, with the semantics of ShardLeases' SQL
 * (libs/persistence/src/leases/shard-leases.ts). One table is shared by the stores of several
 * replicas and by FakeOutbox, whose acknowledge() is fenced by it.
 */
export class FakeLeaseTable {
  readonly shards = new Map<number, Row>();
  readonly replicas = new Map<string, number>();

  constructor(
    readonly leaseMs: number,
    readonly now: () => number = Date.now,
  ) {}

  /** True when `replica` holds `lease` (same epoch) and it has not expired. */
  holds(replica: string, lease: ShardLease): boolean {
    const r = this.shards.get(lease.shard);
    return (
      !!r &&
      r.owner === replica &&
      r.epoch === lease.epoch &&
      r.expiresAt !== null &&
      r.expiresAt > this.now()
    );
  }

  /** Another replica takes `shard` over (as after an expiry): the epoch moves on. */
  steal(shard: number, by: string): void {
    const r = this.shards.get(shard)!;
    r.owner = by;
    r.epoch += 1n;
    r.expiresAt = this.now() + this.leaseMs;
  }

  store(replicaId: string, shardCount: number): FakeLeaseStore {
    return new FakeLeaseStore(this, replicaId, shardCount);
  }
}

export class FakeLeaseStore implements LeaseStore {
  /** Set to make every call fail like an unreachable database. */
  failing: Error | null = null;
  leaveCalls = 0;

  constructor(
    private readonly table: FakeLeaseTable,
    private readonly replicaId: string,
    private readonly shardCount: number,
  ) {}

  private check(): void {
    if (this.failing) throw this.failing;
  }

  async ensureShards(): Promise<void> {
    this.check();
    for (let s = 0; s < this.shardCount; s++)
      if (!this.table.shards.has(s))
        this.table.shards.set(s, { owner: null, epoch: 0n, expiresAt: null });
  }

  async heartbeat(): Promise<number> {
    this.check();
    const now = this.table.now();
    this.table.replicas.set(this.replicaId, now + this.table.leaseMs);
    let alive = 0;
    for (const until of this.table.replicas.values()) if (until > now) alive++;
    return alive;
  }

  async renew(): Promise<ShardLease[]> {
    this.check();
    const now = this.table.now();
    const out: ShardLease[] = [];
    for (const [shard, r] of this.table.shards) {
      if (r.owner === this.replicaId && r.expiresAt !== null && r.expiresAt > now) {
        r.expiresAt = now + this.table.leaseMs;
        out.push({ shard, epoch: r.epoch });
      }
    }
    return out;
  }

  async acquire(count: number): Promise<ShardLease[]> {
    this.check();
    const now = this.table.now();
    const out: ShardLease[] = [];
    for (const [shard, r] of [...this.table.shards].sort(([a], [b]) => a - b)) {
      if (out.length >= count) break;
      if (r.owner === null || r.expiresAt === null || r.expiresAt <= now) {
        r.owner = this.replicaId;
        r.epoch += 1n;
        r.expiresAt = now + this.table.leaseMs;
        out.push({ shard, epoch: r.epoch });
      }
    }
    return out;
  }

  async release(shards: readonly number[]): Promise<void> {
    this.check();
    for (const s of shards) {
      const r = this.table.shards.get(s);
      if (r && r.owner === this.replicaId) {
        r.owner = null;
        r.expiresAt = null;
      }
    }
  }

  async leave(): Promise<void> {
    this.check();
    this.leaveCalls++;
    for (const r of this.table.shards.values()) {
      if (r.owner === this.replicaId) {
        r.owner = null;
        r.expiresAt = null;
      }
    }
    this.table.replicas.delete(this.replicaId);
  }
}
