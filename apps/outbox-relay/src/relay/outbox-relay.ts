import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics';
import { BatchPublisher } from './batch';
import { LeaseKeeper } from './lease-keeper';
import type { CommitFeed, EventSink, LeaseStore, OutboxSource } from './ports';
import { PublishLoop } from './publish-loop';
import { validateRelayConfig, withDefaults, type RelayConfig } from './relay-config';
import { ShardsInFlight } from './shards-in-flight';
import { settlesWithin } from './sleep';

export interface OutboxRelayPorts {
  readonly source: OutboxSource;
  readonly sink: EventSink;
  readonly leases: LeaseStore;
  /** Commit notifications; without them the relay polls every pollIntervalMs. */
  readonly commits?: CommitFeed;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  /** Clock of the lease keeper (tests). */
  readonly now?: () => number;
}

/** What /readyz reports. */
export interface Readiness {
  readonly ready: boolean;
  /** PostgreSQL answered a probe just now. */
  readonly postgres: boolean;
  /** The sink is connected and takes writes (publishing is not paused by a Kafka outage). */
  readonly kafka: boolean;
  /** A lease round succeeded within one lease. */
  readonly leases: boolean;
}

export class RelayConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid relay configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'RelayConfigError';
  }
}

/**
 * The outbox relay as one object (Watermill's forwarder): it owns the lease keeper, the commit
 * notifications and the sink, and has one lifecycle. `run(signal)` publishes until the signal
 * aborts or close() is called, `close()` drains the batch in flight (bounded by
 * drainTimeoutMs), releases every lease and disconnects, `ready()` says whether it can publish.
 */
export class OutboxRelay {
  readonly config: RelayConfig;
  private readonly keeper: LeaseKeeper;
  private readonly loop: PublishLoop;
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private markStarted: () => void = () => undefined;
  /** Resolves once run() made its first lease round and started listening. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    config: Partial<RelayConfig> & Pick<RelayConfig, 'replicaId'>,
    private readonly ports: OutboxRelayPorts,
  ) {
    this.config = withDefaults(config);
    const problems = validateRelayConfig(this.config);
    if (problems.length > 0) throw new RelayConfigError(problems);
    const { source, sink, leases, metrics, logger } = ports;
    const inFlight = new ShardsInFlight();
    this.keeper = new LeaseKeeper(leases, this.config, inFlight, logger, metrics, ports.now);
    const batches = new BatchPublisher({
      source,
      sink,
      leases: this.keeper,
      metrics,
      logger,
      config: this.config,
    });
    this.loop = new PublishLoop({
      source,
      sink,
      leases: this.keeper,
      batches,
      inFlight,
      metrics,
      logger,
      config: this.config,
    });
    this.keeper.onChange(() => this.loop.notify());
  }

  /** Publishes until `signal` aborts or close() is called; resolves when everything stopped. */
  run(signal?: AbortSignal): Promise<void> {
    if (this.running) throw new Error('OutboxRelay.run() was already called');
    const stop = signal ? AbortSignal.any([signal, this.stopping.signal]) : this.stopping.signal;
    this.running = this.runUntil(stop);
    return this.running;
  }

  private async runUntil(stop: AbortSignal): Promise<void> {
    const { leases, commits, logger } = this.ports;
    try {
      await leases.ensureShards();
      await this.keeper.round();
    } catch (e) {
      logger.warn({ err: e }, 'first lease round failed; retrying');
    }
    await commits?.start((keyHash) => this.loop.notify(keyHash));
    this.markStarted();
    await Promise.all([this.keeper.run(stop), this.loop.run(stop)]);
  }

  /**
   * Ready when the sink is connected and publishing is not paused, a lease round succeeded
   * within one lease, and PostgreSQL answers a probe now (within probeTimeoutMs): never from a
   * remembered state alone.
   */
  async ready(): Promise<Readiness> {
    // Connected is not enough: brokers that answer can still refuse every write (too few
    // in-sync replicas), and a replica that cannot publish must say so.
    const kafka = this.ports.sink.connected && !this.loop.paused;
    const leases = this.keeper.healthy();
    const probe = this.ports.source.ping();
    const postgres =
      (await settlesWithin(probe, this.config.probeTimeoutMs)) &&
      (await probe.then(
        () => true,
        () => false,
      ));
    return { ready: kafka && leases && postgres, kafka, leases, postgres };
  }

  /**
   * Stops: the batch in flight is finished and acknowledged (waiting at most drainTimeoutMs),
   * then every lease is released at once and the commit feed and sink are closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { commits, sink, logger } = this.ports;
    const { drainTimeoutMs, probeTimeoutMs } = this.config;
    // The whole stop fits in drainTimeoutMs (SHUTDOWN_GRACE_MS): the leases get two probe
    // timeouts and the feed and sink one, and the batch in flight gets what is left. Past the
    // grace, runService exits 1, so no step here may wait without a bound.
    const closingMs = 3 * probeTimeoutMs;
    const batchMs = Math.max(0, drainTimeoutMs - closingMs);
    this.stopping.abort();
    if (this.running && !(await settlesWithin(this.running, batchMs))) {
      logger.warn(
        { waitedMs: batchMs },
        'the batch in flight did not finish in time; its rows stay in the outbox for the next owner',
      );
    }
    // With PostgreSQL gone the leases simply expire.
    const leaving = this.keeper.leave();
    leaving.catch((e: unknown) =>
      logger.warn({ err: e }, 'could not release leases; they expire by themselves'),
    );
    await settlesWithin(leaving, 2 * probeTimeoutMs);
    // A broker that does not answer must not hold the stop either (kafkajs' disconnect waits).
    const closing = Promise.all([
      commits?.close().catch(() => undefined),
      sink.close().catch(() => undefined),
    ]);
    if (!(await settlesWithin(closing, probeTimeoutMs)))
      logger.warn('the Kafka producer or the LISTEN connection did not close in time');
  }
}
