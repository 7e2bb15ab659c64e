import { shardOf } from '@realchat/domain';
import { recordHeaders } from '@realchat/persistence/outbox';
import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics';
import type { LeaseView } from './lease-keeper';
import {
  isPublishError,
  PublishError,
  type EventSink,
  type OutboxRecord,
  type OutboxSource,
  type PendingEvent,
  type ShardLease,
} from './ports';
import type { RelayConfig } from './relay-config';
import { withTimeout } from './sleep';

export interface BatchDeps {
  readonly source: OutboxSource;
  readonly sink: EventSink;
  readonly leases: LeaseView;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly config: Pick<
    RelayConfig,
    'replicaId' | 'shardCount' | 'maxAttempts' | 'publishTimeoutMs'
  >;
}

interface Item {
  readonly row: PendingEvent;
  readonly record: OutboxRecord;
}

/** What became of one batch. */
export interface BatchOutcome {
  /** Rows the sink accepted (0: every row failed, or none of its shards is usable any more). */
  readonly sent: number;
  /**
   * Settles once the accepted rows were acknowledged (deleted); rejects when PostgreSQL
   * failed. The relay sends the next batch without waiting for it.
   */
  readonly acknowledged: Promise<void>;
}

/**
 * Publishes one batch of pending rows (oldest first) and acknowledges what the sink accepted.
 *
 * A row that can never become a record (unknown event type) or that the sink refuses (e.g. too
 * large) is a row-level failure: an attempt is recorded on it, and after maxAttempts it is
 * parked. Until then the later rows of its conversation in this batch wait (order first); other
 * conversations go on. A broker-level failure is thrown to the loop and spends no attempts.
 */
export class BatchPublisher {
  constructor(private readonly deps: BatchDeps) {}

  /**
   * Publishes `rows`, read under `readUnder` (the usable leases when the batch was read: they
   * fence its acknowledgement). Resolves once the sink answered; the acknowledgement of the
   * accepted rows goes on in `acknowledged`.
   */
  async publish(
    rows: readonly PendingEvent[],
    readUnder: readonly ShardLease[],
  ): Promise<BatchOutcome> {
    const blocked = new Set<string>(); // conversations with a failing row: later rows wait
    const sendable: Item[] = [];
    for (const row of rows) {
      if (blocked.has(row.conversationId)) continue;
      const headers = recordHeaders(row);
      if (headers === null) {
        blocked.add(row.conversationId);
        await this.rowFailed(row, `unknown event type ${row.eventType}: no record can carry it`);
      } else
        sendable.push({ row, record: { key: row.conversationId, value: row.payload, headers } });
    }
    try {
      const sending = await this.send(sendable, readUnder);
      return { sent: sending.length, acknowledged: this.acknowledge(sending, readUnder) };
    } catch (e) {
      if (!isPublishError(e, 'record')) throw e;
      // One record is unpublishable: send one by one, in order, to find it. This can take
      // many sends, so each one goes out only while its shard is still usable, and each is
      // acknowledged before the next (this rare path does not pipeline).
      let sent = 0;
      for (const item of sendable) {
        if (blocked.has(item.row.conversationId)) continue;
        try {
          const usable = this.stillUsable(readUnder);
          const one = await this.send([item], usable);
          await this.acknowledge(one, usable);
          sent += one.length;
        } catch (e2) {
          if (!isPublishError(e2, 'record')) throw e2;
          blocked.add(item.row.conversationId);
          await this.rowFailed(item.row, e2.message);
        }
      }
      return { sent, acknowledged: Promise.resolve() };
    }
  }

  /** `leases` that the keeper still lets us use (same epoch, enough of the lease left). */
  private stillUsable(leases: readonly ShardLease[]): ShardLease[] {
    const now = new Map(this.deps.leases.usable().map((l) => [l.shard, l.epoch]));
    return leases.filter((l) => now.get(l.shard) === l.epoch);
  }

  /** Sends the items of shards in `under`, bounded by publishTimeoutMs; returns those sent. */
  private async send(items: readonly Item[], under: readonly ShardLease[]): Promise<Item[]> {
    const { sink, metrics, config } = this.deps;
    const usable = new Set(under.map((l) => l.shard));
    const sending = items.filter((i) => usable.has(shardOf(i.row.keyHash, config.shardCount)));
    if (sending.length === 0) return sending;
    await withTimeout(
      sink.publish(sending.map((i) => i.record)),
      config.publishTimeoutMs,
      () => new PublishError('broker', `publish took longer than ${config.publishTimeoutMs} ms`),
    );
    const ackedAt = Date.now();
    metrics.batchSize.observe(sending.length);
    for (const { row } of sending)
      metrics.commitToAck.observe((ackedAt - row.createdAt.getTime()) / 1000);
    return sending;
  }

  /**
   * Deletes sent rows under the leases they were sent under (fencing: rows of a lease that
   * moved on meanwhile are not deleted, the new owner sends them again).
   */
  private async acknowledge(sent: readonly Item[], under: readonly ShardLease[]): Promise<void> {
    if (sent.length === 0) return;
    const { source, leases, metrics, logger, config } = this.deps;
    const acknowledged = await source.acknowledge(
      sent.map((i) => i.row.id),
      under,
      config.replicaId,
    );
    // Count what left the outbox: rows this replica could not acknowledge are sent again.
    metrics.published.inc(acknowledged);
    if (acknowledged < sent.length) {
      metrics.unacknowledged.inc(sent.length - acknowledged);
      leases.suspend(under.map((l) => l.shard));
      // Our lease moved on while publishing: the new owner will publish these rows again
      // (same event-id), which at-least-once delivery allows.
      logger.warn(
        { published: sent.length, acknowledged },
        'lease lost during a batch; rows will be re-sent by the new owner',
      );
    }
  }

  private async rowFailed(row: PendingEvent, error: string): Promise<void> {
    const { source, metrics, logger, config } = this.deps;
    metrics.publishErrors.inc({ kind: 'record' });
    const attempts = await source.recordFailure(row, error);
    if (attempts >= config.maxAttempts) {
      await source.park(row);
      metrics.deadLettered.inc();
      logger.error(
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
      logger.warn(
        { outboxId: String(row.id), attempts, error },
        'outbox row failed to publish; will retry',
      );
    }
  }
}
