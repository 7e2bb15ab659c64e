import type { ShardLease } from '@realchat/persistence/leases';
import type { OutboxRowRef, PendingEvent } from '@realchat/persistence/outbox';

/**
 * What the relay needs from the world, as interfaces (Watermill's forwarder shape: the
 * forwarder takes a subscriber and a publisher). PostgreSQL implements OutboxSource,
 * LeaseStore and CommitFeed (libs/persistence), Kafka implements EventSink
 * (src/adapters/kafka-sink.ts); the unit tests use in-memory fakes of all four.
 */

export type { OutboxRowRef, PendingEvent, ShardLease };

/** The outbox as the relay reads and acknowledges it (OutboxStore). */
export interface OutboxSource {
  /**
   * The oldest pending rows of `shards`, in id order (commit order per conversation), leaving
   * out the rows `excluding` (rows of batches still in flight: the pipeline reads ahead).
   */
  pending(
    shards: readonly number[],
    limit: number,
    excluding?: readonly bigint[],
  ): Promise<PendingEvent[]>;
  /**
   * Deletes published rows, but only those of shards still held at the epoch in `leases`
   * (fencing). Returns how many rows were deleted.
   */
  acknowledge(
    ids: readonly bigint[],
    leases: readonly ShardLease[],
    replicaId: string,
  ): Promise<number>;
  /**
   * Records a failed attempt that was the row's own fault; returns the new attempt count. The
   * row is named with its conversation, so the statement stays on one conversation's shard.
   */
  recordFailure(row: OutboxRowRef, error: string): Promise<number>;
  /** Moves a row that can never be published out of the outbox (outbox_dead_letters). */
  park(row: OutboxRowRef): Promise<void>;
  /** One round trip to the database (readiness). */
  ping(): Promise<void>;
  /** Backlog gauges for /metrics. */
  backlog(): Promise<{ pending: number; oldestAgeSeconds: number; deadLetters: number }>;
}

/** Shard ownership (ShardLeases): see docs/outbox-relay.md "Shards, leases and fencing". */
export interface LeaseStore {
  ensureShards(): Promise<void>;
  /** Heartbeats this replica; returns how many replicas are alive (including this one). */
  heartbeat(): Promise<number>;
  /** Extends every unexpired lease this replica holds; returns what it still owns. */
  renew(): Promise<ShardLease[]>;
  /** Takes up to `count` free or expired shards, each with a new epoch. */
  acquire(count: number): Promise<ShardLease[]>;
  release(shards: readonly number[]): Promise<void>;
  /** Releases every shard and the heartbeat. */
  leave(): Promise<void>;
}

/** Wake-ups for committed outbox rows (OutboxListener: LISTEN/NOTIFY). */
export interface CommitFeed {
  /** Starts delivering the key hash of each committed row; missed ones are left to polling. */
  start(onCommit: (keyHash: number) => void): Promise<void>;
  close(): Promise<void>;
}

/** One Kafka record (or whatever the sink stores): docs/outbox-relay.md "Record format". */
export interface OutboxRecord {
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Where events go (KafkaSink). */
export interface EventSink {
  readonly connected: boolean;
  /** Connects (creating the topic when needed); rejects with a `broker` PublishError. */
  connect(): Promise<void>;
  /**
   * Sends the records in order and resolves once the sink acknowledged all of them. Rejects
   * with a PublishError: `broker` (nothing about these records; retry later) or `record` (one
   * of them can never be accepted, e.g. above the size limit).
   */
  publish(records: readonly OutboxRecord[]): Promise<void>;
  /** Disconnects; a later connect() starts afresh. */
  close(): Promise<void>;
}

/** Why a publish failed: the broker (retry the whole batch later) or a record itself. */
export class PublishError extends Error {
  /** The sink's own name for the failure (e.g. Kafka's NOT_ENOUGH_REPLICAS), for metrics. */
  readonly reason: string;

  constructor(
    readonly kind: 'broker' | 'record',
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.name = 'PublishError';
    this.reason = options?.reason ?? kind;
  }
}

export function isPublishError(e: unknown, kind: PublishError['kind']): e is PublishError {
  return e instanceof PublishError && e.kind === kind;
}
