import { shardOf } from '@realchat/domain';
import { isDatabaseUnavailable } from '@realchat/persistence';
import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics';
import type { BatchPublisher } from './batch';
import { BatchPipeline, type ReadBatch } from './batch-pipeline';
import type { LeaseView } from './lease-keeper';
import { isPublishError, type EventSink, type OutboxSource, PublishError } from './ports';
import type { RelayConfig } from './relay-config';
import type { ShardsInFlight } from './shards-in-flight';
import { settlesWithin, sleep, withTimeout } from './sleep';

export interface LoopDeps {
  readonly source: OutboxSource;
  readonly sink: EventSink;
  readonly leases: LeaseView;
  readonly batches: BatchPublisher;
  readonly inFlight: ShardsInFlight;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly config: Pick<
    RelayConfig,
    | 'shardCount'
    | 'batchSize'
    | 'pollIntervalMs'
    | 'backoffMinMs'
    | 'backoffMaxMs'
    | 'publishTimeoutMs'
    | 'maxInFlightBatches'
  >;
}

/**
 * The publish loop: read the oldest rows of the usable shards, publish them as one batch,
 * repeat while a backlog exists; otherwise sleep until a commit notification (or the polling
 * fallback) wakes it. While the broker is down it stops reading and reconnects with capped
 * exponential backoff; no row attempts are spent. No transaction or row lock is held while
 * waiting on the broker.
 */
export class PublishLoop {
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private brokerFailures = 0;
  /** When the current pause began (first failed send), null while Kafka takes our writes. */
  private pausedSince: number | null = null;

  private readonly pipeline: BatchPipeline;

  constructor(private readonly deps: LoopDeps) {
    this.pipeline = new BatchPipeline(deps.config.maxInFlightBatches, (excluding) =>
      this.read(excluding),
    );
  }

  /** Wakes the loop for a committed row of `keyHash` (any row when omitted), if ours. */
  notify(keyHash?: number): void {
    if (
      keyHash !== undefined &&
      !this.deps.leases.owns(shardOf(keyHash, this.deps.config.shardCount))
    )
      return;
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * True from a failed send until a send succeeds again (or nothing is left to send). A fresh
   * connection alone does not end a pause: brokers that accept connections can still refuse
   * every write (NOT_ENOUGH_REPLICAS while fewer than min.insync.replicas are in sync).
   */
  get paused(): boolean {
    return this.pausedSince !== null;
  }

  /**
   * Publishes until `signal` aborts; the batches in flight are finished first. Up to
   * maxInFlightBatches batches are between read and deleted (BatchPipeline), but one send at a
   * time: a batch is sent only after the one before it was accepted in full, so a failed batch
   * never lets a later one of its shards reach Kafka or be deleted ahead of it.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { sink, batches, logger } = this.deps;
    const pipeline = this.pipeline;
    while (!signal.aborted) {
      const deleteFailure = pipeline.takeFailure();
      if (deleteFailure) {
        await pipeline.drain();
        await this.databaseTrouble(deleteFailure, signal);
        continue;
      }
      if (!sink.connected) {
        await pipeline.drain();
        await this.reconnectBroker(signal);
        continue;
      }
      let batch: ReadBatch;
      try {
        batch = await pipeline.next();
      } catch (e) {
        await pipeline.drain();
        await this.databaseTrouble(e, signal);
        continue;
      }
      if (batch.rows.length === 0) {
        batch.leave();
        // Deletes may still be running: they need not be awaited before sleeping (a failed
        // one is taken up at the top of the loop).
        this.resumed(); // nothing waits: no reason to stay not-ready
        await this.idle(signal);
        continue;
      }
      const backlog = batch.rows.length >= this.deps.config.batchSize;
      pipeline.readAheadIfRoom(backlog);
      try {
        const outcome = await batches.publish(batch.rows, batch.readUnder);
        pipeline.acknowledging(batch, outcome.acknowledged);
        if (outcome.sent > 0) this.resumed();
        this.brokerFailures = 0;
        if (outcome.sent < batch.rows.length) {
          // Not every row was accepted. The batch read ahead may hold later rows of a
          // conversation whose row was not sent here: drop it and read again from the oldest
          // row left (docs/outbox-relay.md "Pipelining").
          await pipeline.drain();
          // Only failing rows (or none of our shards any more): retry after the poll interval,
          // not in a tight loop that would spend a poison row's attempts within milliseconds.
          if (outcome.sent === 0) await this.idle(signal);
        } else await pipeline.makeRoom(backlog);
      } catch (e) {
        // Nothing read ahead is sent: the next read starts from this batch's first row.
        batch.leave();
        await pipeline.drain();
        if (isPublishError(e, 'broker')) await this.brokerDown(e);
        else await this.databaseTrouble(e, signal);
      }
    }
    await pipeline.drain();
    if (pipeline.takeFailure())
      logger.warn('rows published while stopping could not be deleted; they will be re-sent');
  }

  /** One read of the usable shards' oldest rows, leaving out the rows still in flight. */
  private async read(excluding: readonly bigint[]): Promise<ReadBatch> {
    const { source, leases, inFlight, config } = this.deps;
    const readUnder = leases.usable();
    // A commit notified from now on is seen by this read or wakes the next idle().
    this.woken = false;
    const rows = await source.pending(
      readUnder.map((l) => l.shard),
      config.batchSize,
      excluding,
    );
    const leave = inFlight.enter(rows.map((r) => shardOf(r.keyHash, config.shardCount)));
    return { rows, readUnder, leave };
  }

  private async brokerDown(e: PublishError): Promise<void> {
    this.deps.metrics.kafkaUp.set(0);
    // The next connect waits: a broker that accepts connections but times out every send must
    // not be hammered.
    await this.brokerTrouble(
      e.reason,
      { err: e.message, reason: e.reason },
      'Kafka unavailable: pausing, rows stay in the outbox',
    );
  }

  /**
   * What every broker failure does, on a send or on a connect: count it, pause, back off one
   * step more, log, and drop the producer (a fresh one later: nothing of the failed or
   * half-made connection is used again).
   */
  private async brokerTrouble(
    reason: string | undefined,
    log: Record<string, unknown>,
    message: string,
  ): Promise<void> {
    const { metrics, logger } = this.deps;
    metrics.publishErrors.inc({ kind: 'broker' });
    metrics.brokerErrors.inc({ reason });
    this.pause();
    this.brokerFailures++;
    logger.warn({ ...log, attempt: this.brokerFailures }, message);
    await this.dropProducer();
  }

  /**
   * Closes the sink, waiting at most publishTimeoutMs: a client's disconnect can hang while
   * brokers die and come back, and the loop must never stop on it (the sink guarantees that an
   * abandoned connection is never used again).
   */
  private async dropProducer(): Promise<void> {
    const { sink, logger, config } = this.deps;
    if (!(await settlesWithin(sink.close(), config.publishTimeoutMs)))
      logger.warn('the Kafka producer did not close in time; abandoned');
  }

  /** Capped exponential backoff with jitter, then a fresh connection. */
  private async reconnectBroker(signal: AbortSignal): Promise<void> {
    const { sink, metrics, logger, config } = this.deps;
    const delay = Math.min(config.backoffMaxMs, config.backoffMinMs * 2 ** this.brokerFailures);
    if (this.brokerFailures > 0) await sleep(delay / 2 + (Math.random() * delay) / 2, signal);
    if (signal.aborted) return;
    try {
      // Bounded like a publish (twice: a connect is several round trips): a connect that hangs
      // on a broker that is starting up must not hold the loop.
      await withTimeout(
        sink.connect(),
        2 * config.publishTimeoutMs,
        () =>
          new PublishError('broker', `connect took longer than ${2 * config.publishTimeoutMs} ms`, {
            reason: 'connect-timeout',
          }),
      );
      metrics.kafkaUp.set(1);
      if (this.brokerFailures > 0)
        logger.info({ afterAttempts: this.brokerFailures }, 'Kafka available again: resuming');
      this.brokerFailures = 0;
    } catch (e) {
      await this.brokerTrouble(
        (e as Partial<PublishError>).reason ?? 'connect',
        { err: (e as Error).message },
        'Kafka still unavailable',
      );
    }
  }

  private pause(): void {
    if (this.pausedSince !== null) return;
    this.pausedSince = Date.now();
    this.deps.metrics.publishingPaused.set(1);
  }

  /** Ends a pause: Kafka took a batch again (or nothing is left to send). */
  private resumed(): void {
    if (this.pausedSince === null) return;
    const pausedMs = Date.now() - this.pausedSince;
    this.pausedSince = null;
    this.deps.metrics.publishingPaused.set(0);
    this.deps.metrics.pausedSeconds.observe(pausedMs / 1000);
    this.deps.logger.info({ pausedMs }, 'Kafka takes writes again: publishing resumed');
  }

  private async databaseTrouble(e: unknown, signal: AbortSignal): Promise<void> {
    const { metrics, logger, config } = this.deps;
    metrics.publishErrors.inc({ kind: 'database' });
    if (isDatabaseUnavailable(e) || (e as { kind?: string }).kind === 'unavailable') {
      logger.warn({ err: (e as Error).message }, 'PostgreSQL unavailable: retrying');
    } else {
      logger.error({ err: e }, 'unexpected error in the publish loop: retrying');
    }
    await sleep(config.backoffMinMs * 5, signal);
  }

  private async idle(signal: AbortSignal): Promise<void> {
    if (this.woken) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, this.deps.config.pollIntervalMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}
