import type { PendingEvent, ShardLease } from './ports';

/** Rows read together, and the leases they were read under (which fence their deletion). */
export interface ReadBatch {
  readonly rows: readonly PendingEvent[];
  readonly readUnder: readonly ShardLease[];
  /**
   * Ends the batch's claim on its shards (ShardsInFlight, taken when it was read): the lease
   * keeper does not hand a shard over while a batch of it is read, sent or being deleted.
   */
  readonly leave: () => void;
}

/**
 * The batches between being read and being acknowledged (deleted), at most `depth` of them:
 * while one batch is sent, the next one is read ahead and the previous one is deleted. Sends
 * themselves stay one at a time (the loop awaits each), so Kafka sees batches in read order.
 *
 * Rows of batches in the pipeline are left out of every read by id, so nothing is read twice;
 * an id cursor would skip a row that committed late (docs/outbox-relay.md "Pipelining").
 * When a batch is not sent completely (a broker failure, a failing row, a shard no longer
 * usable), the loop drains the pipeline: the batch read ahead is dropped unsent, and the next
 * read starts again from the oldest row left in the outbox.
 */
export class BatchPipeline {
  /** Ids of the rows read and not yet acknowledged (or dropped). */
  private readonly ids = new Set<bigint>();
  private readAhead: Promise<ReadBatch> | null = null;
  private readonly deleting = new Set<Promise<void>>();
  private deleteFailure: unknown = null;

  constructor(
    private readonly depth: number,
    private readonly read: (excluding: readonly bigint[]) => Promise<ReadBatch>,
  ) {}

  /** The batch read ahead, else a fresh read. */
  next(): Promise<ReadBatch> {
    const batch = this.readAhead ?? this.readExcluding();
    this.readAhead = null;
    return batch;
  }

  /**
   * Starts reading the following batch while the current one is sent, if the depth allows.
   * `backlog`: the current batch was full, so more rows are likely waiting.
   */
  readAheadIfRoom(backlog: boolean): void {
    // The batch being sent, the one read ahead and those still being deleted.
    if (!backlog || this.readAhead !== null || this.deleting.size + 2 > this.depth) return;
    this.readAhead = this.readExcluding();
    this.readAhead.catch(() => undefined); // reported by next() or dropped by drain()
  }

  /** A sent batch: its rows stay excluded from reads until their deletion settles. */
  acknowledging(batch: ReadBatch, acknowledged: Promise<void>): void {
    const settled: Promise<void> = acknowledged
      .catch((e: unknown) => {
        // The rows are on Kafka but still in the outbox: after the drain that this failure
        // causes they are read and sent again (duplicates, never a reordered first delivery).
        this.deleteFailure ??= e;
      })
      .finally(() => {
        batch.leave();
        for (const r of batch.rows) this.ids.delete(r.id);
        this.deleting.delete(settled);
      });
    this.deleting.add(settled);
  }

  /**
   * Waits until another batch may enter (with depth 1: until the last one was deleted).
   * Without a `backlog` (the last batch was not full) it behaves as depth 1: nothing waits to
   * be overlapped, and measured at 500 events/s the overlap only added latency
   * (docs/benchmarks.md "Relay pipelining").
   */
  async makeRoom(backlog: boolean): Promise<void> {
    const depth = backlog ? this.depth : 1;
    // A batch read ahead is already in the pipeline; counting it too leaves room for the one
    // read ahead while it is sent (readAheadIfRoom). So at depth 2 a read overlaps each send and
    // the previous deletion is awaited first (measured: deeper pipelines drained no faster).
    while (this.deleting.size > 0 && this.deleting.size + (this.readAhead ? 1 : 0) >= depth)
      await Promise.race(this.deleting);
  }

  /** A deletion that failed since the last call (PostgreSQL trouble), once. */
  takeFailure(): unknown {
    const e = this.deleteFailure;
    this.deleteFailure = null;
    return e;
  }

  /**
   * Empties the pipeline: drops the batch read ahead unsent and waits for every deletion, so
   * the next read starts from the oldest row still in the outbox.
   */
  async drain(): Promise<void> {
    const ahead = this.readAhead;
    this.readAhead = null;
    if (ahead)
      await ahead.then(
        (dropped) => dropped.leave(),
        () => undefined,
      );
    // Each deletion leaves the set as it settles, and none starts during a drain.
    await Promise.all(this.deleting);
    this.ids.clear();
  }

  private async readExcluding(): Promise<ReadBatch> {
    const batch = await this.read([...this.ids]);
    for (const r of batch.rows) this.ids.add(r.id);
    return batch;
  }
}
