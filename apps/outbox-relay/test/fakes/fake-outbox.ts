import { randomUUID } from 'node:crypto';
import { conversationHash, shardOf } from '@realchat/domain';
import { EventType } from '@realchat/proto';
import type { OutboxSource, PendingEvent, ShardLease } from '../../src/relay/ports';
import type { FakeLeaseTable } from './fake-leases';

export interface FakeRow extends PendingEvent {
  attempts: number;
  readonly errors: string[];
}

/**
 * The outbox in memory, with OutboxStore's semantics: pending rows of the given shards in id
 * order, acknowledge fenced by the lease table, attempts and parking. `timeline` records
 * parks and deletes ("ack <event id>"), for order assertions together with the sink's publishes.
 */
export class FakeOutbox implements OutboxSource {
  readonly rows: FakeRow[] = [];
  readonly parked: FakeRow[] = [];
  /** Set to make ping() fail; `'hang'` makes it never answer. */
  pingFailure: Error | 'hang' | null = null;
  pendingCalls = 0;
  /** Runs inside each pending() call (tests freeze the reader there). */
  beforePending: () => Promise<void> = async () => undefined;
  /** Runs inside each acknowledge() call before anything is deleted (tests delay deletes). */
  beforeAcknowledge: (ids: readonly bigint[]) => Promise<void> = async () => undefined;
  private nextId = 1n;

  constructor(
    private readonly table: FakeLeaseTable,
    private readonly shardCount: number,
    private readonly timeline: string[] = [],
  ) {}

  /** Adds a committed event; returns its event id. */
  add(
    conversationId: string,
    options: { eventType?: number; payload?: Uint8Array; eventId?: string } = {},
  ): string {
    const eventId = options.eventId ?? randomUUID();
    this.rows.push({
      id: this.nextId++,
      eventId,
      conversationId,
      keyHash: conversationHash(conversationId),
      eventType: options.eventType ?? EventType.EVENT_TYPE_MESSAGE_SENT,
      schemaVersion: 1,
      payload: Buffer.from(options.payload ?? Buffer.from(`payload of ${eventId}`)),
      traceparent: null,
      createdAt: new Date(),
      attempts: 0,
      errors: [],
    });
    return eventId;
  }

  async pending(
    shards: readonly number[],
    limit: number,
    excluding: readonly bigint[] = [],
  ): Promise<PendingEvent[]> {
    this.pendingCalls++;
    await this.beforePending();
    const wanted = new Set(shards);
    const skip = new Set(excluding);
    return this.rows
      .filter((r) => wanted.has(shardOf(r.keyHash, this.shardCount)) && !skip.has(r.id))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async acknowledge(
    ids: readonly bigint[],
    leases: readonly ShardLease[],
    replicaId: string,
  ): Promise<number> {
    await this.beforeAcknowledge(ids);
    const idSet = new Set(ids);
    const deleted: FakeRow[] = [];
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const r = this.rows[i];
      if (!idSet.has(r.id)) continue;
      const lease = leases.find((l) => l.shard === shardOf(r.keyHash, this.shardCount));
      if (lease && this.table.holds(replicaId, lease)) deleted.unshift(...this.rows.splice(i, 1));
    }
    for (const r of deleted) this.timeline.push(`ack ${r.eventId}`);
    return deleted.length;
  }

  async recordFailure({ id }: { id: bigint }, error: string): Promise<number> {
    const r = this.rows.find((x) => x.id === id);
    if (!r) return 0;
    r.attempts++;
    r.errors.push(error);
    return r.attempts;
  }

  async park({ id }: { id: bigint }): Promise<void> {
    const i = this.rows.findIndex((x) => x.id === id);
    if (i < 0) return;
    const [r] = this.rows.splice(i, 1);
    this.parked.push(r);
    this.timeline.push(`park ${r.eventId}`);
  }

  async ping(): Promise<void> {
    if (this.pingFailure === 'hang') return new Promise(() => undefined);
    if (this.pingFailure) throw this.pingFailure;
  }

  async backlog() {
    return { pending: this.rows.length, oldestAgeSeconds: 0, deadLetters: this.parked.length };
  }
}
