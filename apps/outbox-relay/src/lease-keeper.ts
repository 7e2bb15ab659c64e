import type { ShardLease, ShardLeases } from '@realchat/persistence/leases';
import type { Logger } from 'pino';
import type { RelayMetrics } from './metrics';

interface Held {
  readonly epoch: bigint;
  /** Local time until which the lease is certainly valid (measured from before the renewal). */
  readonly validUntil: number;
}

/**
 * Keeps this replica's shard leases: every leaseMs/3 it heartbeats, renews, and moves towards
 * its fair share. A shard is only *usable* while more than a third of its lease remains, so the
 * relay stops publishing a shard before another replica can take it over. Shards above the fair
 * share are first drained (no new batches) and released on the next round, so that an in-flight
 * batch is acknowledged before the new owner republishes it.
 */
export class LeaseKeeper {
  private held = new Map<number, Held>();
  private draining = new Set<number>();
  private lastRoundOk = 0;

  constructor(
    private readonly leases: ShardLeases,
    private readonly shardCount: number,
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly metrics: RelayMetrics,
    private readonly onChange: () => void,
  ) {}

  /** Leases the relay may publish under now. */
  usable(): ShardLease[] {
    const now = Date.now();
    const margin = this.leaseMs / 3;
    const out: ShardLease[] = [];
    for (const [shard, h] of this.held) {
      if (h.validUntil - now > margin && !this.draining.has(shard))
        out.push({ shard, epoch: h.epoch });
    }
    return out;
  }

  owns(shard: number): boolean {
    return this.held.has(shard) && !this.draining.has(shard);
  }

  /** True when the last round succeeded recently (for /readyz). */
  healthy(): boolean {
    return Date.now() - this.lastRoundOk < this.leaseMs;
  }

  async round(): Promise<void> {
    const started = Date.now();
    const replicas = await this.leases.heartbeat();
    const share = Math.ceil(this.shardCount / replicas);

    if (this.draining.size > 0) {
      const toRelease = [...this.draining];
      await this.leases.release(toRelease);
      for (const s of toRelease) this.held.delete(s);
      this.draining.clear();
      this.logger.info({ shards: toRelease, replicas }, 'released shards to rebalance');
    }

    const renewed = await this.leases.renew();
    const renewedSet = new Set(renewed.map((l) => l.shard));
    const lost = [...this.held.keys()].filter((s) => !renewedSet.has(s));
    if (lost.length > 0) {
      this.metrics.leasesLost.inc(lost.length);
      this.logger.warn({ shards: lost }, 'lost shard leases (expired and taken over)');
    }
    const next = new Map<number, Held>();
    for (const l of renewed)
      next.set(l.shard, { epoch: l.epoch, validUntil: started + this.leaseMs });

    const acquired = await this.leases.acquire(share - next.size);
    for (const l of acquired)
      next.set(l.shard, { epoch: l.epoch, validUntil: started + this.leaseMs });
    if (acquired.length > 0) {
      this.logger.info(
        { shards: acquired.map((l) => l.shard), replicas, share },
        'acquired shard leases',
      );
    }
    if (next.size > share) {
      // Drain the highest shards now; release them next round.
      for (const s of [...next.keys()].sort((a, b) => b - a).slice(0, next.size - share))
        this.draining.add(s);
    }
    this.held = next;
    this.lastRoundOk = Date.now();
    this.metrics.shardsOwned.set(this.usable().length);
    if (acquired.length > 0 || lost.length > 0) this.onChange();
  }

  /** Runs rounds until `signal` aborts; a failed round is retried sooner and logged. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait = this.leaseMs / 3;
      try {
        await this.round();
      } catch (e) {
        this.logger.warn({ err: e }, 'shard lease round failed; retrying');
        wait = Math.min(wait, 1000);
      }
      await sleep(wait, signal);
    }
  }

  /** Gives every shard back at once so that other replicas take over without waiting. */
  async leave(): Promise<void> {
    await this.leases.leave();
    this.held.clear();
    this.draining.clear();
    this.metrics.shardsOwned.set(0);
    this.logger.info('released all shard leases');
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
