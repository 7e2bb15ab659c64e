/**
 * Group commit's queue: items submitted for one key (a conversation) while a batch of that key
 * runs wait and then run together as the next batch. Nothing waits on a timer: a lone item runs
 * at once, so batching costs no latency at low load and grows with contention (the batch that
 * runs while n items arrive takes those n next). Batches of one key never overlap; batches of
 * different keys run independently.
 */
export class KeyedBatches<T, R> {
  /** Keys with a batch running, and what waits for the next one. */
  private readonly waiting = new Map<string, Pending<T, R>[]>();

  /**
   * `run` gets a batch (at most `maxBatch` items, in arrival order) and returns one outcome per
   * item, in the same order; if it throws, every item of the batch fails with that error.
   */
  constructor(
    private readonly maxBatch: number,
    private readonly run: (key: string, items: readonly T[]) => Promise<Outcome<R>[]>,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch ${maxBatch} < 1`);
  }

  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const pending = { item, resolve, reject };
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.waiting.set(key, [pending]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    const queue = this.waiting.get(key)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.run(
          key,
          batch.map((p) => p.item),
        );
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o === undefined) p.reject(new Error(`batch of ${key}: no outcome for item ${i}`));
          else if ('error' in o) p.reject(o.error);
          else p.resolve(o.value);
        });
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.waiting.delete(key);
  }
}

export type Outcome<R> = { readonly value: R } | { readonly error: unknown };

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}
