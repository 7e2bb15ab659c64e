import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics';
import type { LeaseStore, ShardLease } from './ports';
import type { RelayConfig } from './relay-config';
import type { ShardsInFlight } from './shards-in-flight';
import { sleep } from './sleep';

interface Held {
  readonly epoch: bigint;
  /** Local time until which the lease is certainly valid (measured from before the renewal). */
  readonly validUntil: number;
}

/** The leases the publish loop may use: what it reads, sends and acknowledges under. */
export interface LeaseView {
  /** Leases usable now (held, not draining, more than the renewal margin left). */
  usable(): ShardLease[];
  /** True while this replica holds `shard` and is not handing it over. */
  owns(shard: number): boolean;
  /**
   * Stops using `shards` until the next round confirms them: an acknowledgement fell short, so
   * one of them was probably taken over, and re-sending its rows would only make duplicates.
   */
  suspend(shards: Iterable<number>): void;
}

type KeeperConfig = Pick<
  RelayConfig,
  'shardCount' | 'leaseMs' | 'renewMarginMs' | 'roundIntervalMs'
>;

/**
 * Keeps this replica's shard leases: every roundIntervalMs it heartbeats, renews, and moves
 * towards its fair share. A shard is only *usable* while more than renewMarginMs of its lease
 * remains, so the relay stops publishing a shard before another replica can take it over.
 * Shards above the fair share are first drained (no new batches) and released on a later round,
 * once no batch of theirs is in flight, so the new owner never publishes alongside this one.
 */
export class LeaseKeeper implements LeaseView {
  private held = new Map<number, Held>();
  private readonly draining = new Set<number>();
  private readonly suspended = new Set<number>();
  private lastRoundOk = Number.NEGATIVE_INFINITY;
  private changeListener: () => void = () => undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly config: KeeperConfig,
    private readonly inFlight: ShardsInFlight,
    private readonly logger: Logger,
    private readonly metrics: RelayMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called after a round that acquired or lost shards (the relay wakes its loop). */
  onChange(listener: () => void): void {
    this.changeListener = listener;
  }

  usable(): ShardLease[] {
    const now = this.now();
    const out: ShardLease[] = [];
    for (const [shard, h] of this.held) {
      if (
        h.validUntil - now > this.config.renewMarginMs &&
        !this.draining.has(shard) &&
        !this.suspended.has(shard)
      )
        out.push({ shard, epoch: h.epoch });
    }
    return out;
  }

  owns(shard: number): boolean {
    return this.held.has(shard) && !this.draining.has(shard) && !this.suspended.has(shard);
  }

  suspend(shards: Iterable<number>): void {
    for (const s of shards) if (this.held.has(s)) this.suspended.add(s);
    this.metrics.shardsOwned.set(this.usable().length);
  }

  /** True when the last round succeeded within one lease (for /readyz). */
  healthy(): boolean {
    return this.now() - this.lastRoundOk < this.config.leaseMs;
  }

  async round(): Promise<void> {
    const started = this.now();
    const replicas = await this.store.heartbeat();
    const share = Math.ceil(this.config.shardCount / replicas);

    // Hand over drained shards whose last batch is done; the others wait for the next round.
    const toRelease = [...this.draining].filter((s) => !this.inFlight.busy(s));
    if (toRelease.length > 0) {
      await this.store.release(toRelease);
      for (const s of toRelease) {
        this.held.delete(s);
        this.draining.delete(s);
      }
      this.logger.info({ shards: toRelease, replicas }, 'released shards to rebalance');
    }

    const renewed = await this.store.renew();
    const renewedSet = new Set(renewed.map((l) => l.shard));
    const lost = [...this.held.keys()].filter((s) => !renewedSet.has(s));
    if (lost.length > 0) {
      this.metrics.leasesLost.inc(lost.length);
      this.logger.warn({ shards: lost }, 'lost shard leases (expired and taken over)');
    }
    this.suspended.clear(); // what was renewed is confirmed ours (at the epoch renewed)
    const validUntil = started + this.config.leaseMs;
    const next = new Map<number, Held>();
    for (const l of renewed) next.set(l.shard, { epoch: l.epoch, validUntil });

    const acquired = await this.store.acquire(share - next.size);
    for (const l of acquired) next.set(l.shard, { epoch: l.epoch, validUntil });
    if (acquired.length > 0) {
      this.logger.info(
        { shards: acquired.map((l) => l.shard), replicas, share },
        'acquired shard leases',
      );
    }
    for (const s of this.draining) if (!next.has(s)) this.draining.delete(s);
    const keep = next.size - this.draining.size;
    if (keep > share) {
      // Drain the highest shards now; release them once their batch in flight is done.
      const candidates = [...next.keys()].filter((s) => !this.draining.has(s));
      for (const s of candidates.sort((a, b) => b - a).slice(0, keep - share)) this.draining.add(s);
    }
    this.held = next;
    this.lastRoundOk = this.now();
    this.metrics.shardsOwned.set(this.usable().length);
    if (acquired.length > 0 || lost.length > 0) this.changeListener();
  }

  /** Runs rounds until `signal` aborts; a failed round is retried sooner and logged. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait = this.config.roundIntervalMs;
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
    await this.store.leave();
    this.held.clear();
    this.draining.clear();
    this.metrics.shardsOwned.set(0);
    this.logger.info('released all shard leases');
  }
}
