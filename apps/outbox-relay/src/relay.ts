import { shardOf } from '@realchat/domain';
import { isDatabaseUnavailable } from '@realchat/persistence';
import type { ShardLease } from '@realchat/persistence/leases';
import type { OutboxStore, PendingEvent } from '@realchat/persistence/outbox';
import { EventEnvelope, EventType } from '@realchat/proto';
import type { Logger } from 'pino';
import { KafkaPublisher, PublishError } from './kafka-publisher';
import { LeaseKeeper, sleep } from './lease-keeper';
import type { RelayMetrics } from './metrics';

export interface RelayOptions {
  readonly replicaId: string;
  readonly shardCount: number;
  readonly batchSize: number;
  /** Polling fallback when no NOTIFY arrives. */
  readonly pollIntervalMs: number;
  /** Failed attempts (the row's own fault) before a row is parked in outbox_dead_letters. */
  readonly maxAttempts: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

/** Called with the rows Kafka acknowledged and the time of the acknowledgement. */
export type AckListener = (rows: readonly PendingEvent[], ackedAt: number) => void;

/**
 * The publish loop: claim the oldest rows of the shards this replica leases, send them to Kafka
 * in one batch, delete them once acknowledged, repeat while a backlog exists; otherwise sleep
 * until NOTIFY (or the polling fallback) wakes it. No transaction or row lock is held while
 * waiting on Kafka.
 */
export class Relay {
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private brokerFailures = 0;
  private databaseOk = false;
  private readonly ackListeners: AckListener[] = [];

  constructor(
    private readonly outbox: OutboxStore,
    private readonly leases: LeaseKeeper,
    private readonly publisher: KafkaPublisher,
    private readonly metrics: RelayMetrics,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** Wakes the loop for a committed row of `keyHash` (from LISTEN), if one of our shards. */
  notify(keyHash?: number): void {
    if (keyHash !== undefined && !this.leases.owns(shardOf(keyHash, this.options.shardCount)))
      return;
    this.woken = true;
    this.wakeUp?.();
  }

  onAck(listener: AckListener): void {
    this.ackListeners.push(listener);
  }

  /** Ready: Kafka connected, PostgreSQL answering, and lease rounds succeeding. */
  ready(): boolean {
    return this.publisher.connected && this.databaseOk && this.leases.healthy();
  }

  /** Publishes until `signal` aborts; the batch in flight is finished first. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.publisher.connected) {
        await this.reconnectBroker(signal);
        continue;
      }
      const leases = this.leases.usable();
      let rows: PendingEvent[];
      try {
        this.woken = false;
        rows = await this.outbox.pending(
          leases.map((l) => l.shard),
          this.options.batchSize,
        );
        this.databaseOk = true;
      } catch (e) {
        await this.databaseTrouble(e, signal);
        continue;
      }
      if (rows.length === 0) {
        await this.idle(signal);
        continue;
      }
      try {
        await this.publishBatch(rows, leases);
      } catch (e) {
        if (e instanceof PublishError && e.kind === 'broker') await this.brokerDown(e);
        else await this.databaseTrouble(e, signal);
      }
    }
  }

  private async publishBatch(rows: PendingEvent[], leases: ShardLease[]): Promise<void> {
    const blocked = new Set<string>(); // conversations with a failing row: later rows wait
    const sendable: PendingEvent[] = [];
    for (const row of rows) {
      if (blocked.has(row.conversationId)) continue;
      const problem = undecodable(row);
      if (problem) {
        blocked.add(row.conversationId);
        await this.rowFailed(row, problem);
      } else sendable.push(row);
    }
    try {
      await this.send(sendable, leases);
    } catch (e) {
      if (!(e instanceof PublishError) || e.kind !== 'record') throw e;
      // One record is unpublishable: send one by one, in order, to find it.
      for (const row of sendable) {
        if (blocked.has(row.conversationId)) continue;
        try {
          await this.send([row], leases);
        } catch (e2) {
          if (!(e2 instanceof PublishError) || e2.kind !== 'record') throw e2;
          blocked.add(row.conversationId);
          await this.rowFailed(row, e2.message);
        }
      }
    }
  }

  private async send(rows: PendingEvent[], leases: ShardLease[]): Promise<void> {
    if (rows.length === 0) return;
    await this.publisher.publish(rows);
    const ackedAt = Date.now();
    this.brokerFailures = 0;
    this.metrics.batchSize.observe(rows.length);
    for (const r of rows)
      this.metrics.commitToAck.observe((ackedAt - r.createdAt.getTime()) / 1000);
    const deleted = await this.outbox.acknowledge(
      rows.map((r) => r.id),
      leases,
      this.options.replicaId,
    );
    this.metrics.published.inc(rows.length);
    if (deleted < rows.length) {
      // Our lease moved on while publishing: the new owner will publish these rows again
      // (same event-id), which at-least-once delivery allows.
      this.logger.warn(
        { published: rows.length, acknowledged: deleted },
        'lease lost during a batch; rows will be re-sent by the new owner',
      );
    }
    for (const l of this.ackListeners) l(rows, ackedAt);
  }

  private async rowFailed(row: PendingEvent, error: string): Promise<void> {
    this.metrics.publishErrors.inc({ kind: 'record' });
    const attempts = await this.outbox.recordFailure(row.id, error);
    if (attempts >= this.options.maxAttempts) {
      await this.outbox.park(row.id);
      this.metrics.deadLettered.inc();
      this.logger.error(
        {
          outboxId: String(row.id),
          eventId: row.eventId,
          conversationId: row.conversationId,
          attempts,
          error,
        },
        'parked an unpublishable outbox row in outbox_dead_letters (see docs/outbox-relay.md to requeue it)',
      );
    } else {
      this.logger.warn(
        { outboxId: String(row.id), attempts, error },
        'outbox row failed to publish; will retry',
      );
    }
  }

  private async brokerDown(e: PublishError): Promise<void> {
    this.metrics.publishErrors.inc({ kind: 'broker' });
    this.metrics.kafkaUp.set(0);
    this.logger.warn({ err: e.message }, 'Kafka unavailable: pausing, rows stay in the outbox');
    await this.publisher.disconnect();
  }

  /** Capped exponential backoff with jitter, then a fresh producer; no row attempts are spent. */
  private async reconnectBroker(signal: AbortSignal): Promise<void> {
    const { backoffMinMs, backoffMaxMs } = this.options;
    const delay = Math.min(backoffMaxMs, backoffMinMs * 2 ** this.brokerFailures);
    if (this.brokerFailures > 0) await sleep(delay / 2 + (Math.random() * delay) / 2, signal);
    if (signal.aborted) return;
    try {
      await this.publisher.connect();
      this.metrics.kafkaUp.set(1);
      if (this.brokerFailures > 0)
        this.logger.info({ afterAttempts: this.brokerFailures }, 'Kafka available again: resuming');
      this.brokerFailures = 0;
    } catch (e) {
      this.brokerFailures++;
      this.metrics.publishErrors.inc({ kind: 'broker' });
      this.logger.warn(
        { err: (e as Error).message, attempt: this.brokerFailures },
        'Kafka still unavailable',
      );
    }
  }

  private async databaseTrouble(e: unknown, signal: AbortSignal): Promise<void> {
    this.databaseOk = false;
    this.metrics.publishErrors.inc({ kind: 'database' });
    if (isDatabaseUnavailable(e) || (e as { kind?: string }).kind === 'unavailable') {
      this.logger.warn({ err: (e as Error).message }, 'PostgreSQL unavailable: retrying');
    } else {
      this.logger.error({ err: e }, 'unexpected error in the publish loop: retrying');
    }
    await sleep(this.options.backoffMinMs * 5, signal);
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
      const timer = setTimeout(done, this.options.pollIntervalMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}

/** Why a row's payload can never be a valid record, or null when it can. */
function undecodable(row: PendingEvent): string | null {
  try {
    const envelope = EventEnvelope.decode(row.payload);
    if (
      envelope.eventType === EventType.EVENT_TYPE_UNSPECIFIED ||
      envelope.eventType !== row.eventType
    ) {
      return `envelope event_type ${envelope.eventType} does not match the row's ${row.eventType}`;
    }
    return null;
  } catch (e) {
    return `undecodable EventEnvelope: ${(e as Error).message}`;
  }
}
