/**
 * Shards with a batch in flight (being sent or acknowledged). The lease keeper releases a
 * drained shard only once no batch of it is in flight, so a handed-over shard is never
 * published by two replicas at once.
 */
export class ShardsInFlight {
  private readonly counts = new Map<number, number>();

  /** Marks `shards` busy until the returned function is called. */
  enter(shards: Iterable<number>): () => void {
    const entered = [...new Set(shards)];
    for (const s of entered) this.counts.set(s, (this.counts.get(s) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      for (const s of entered) {
        const n = (this.counts.get(s) ?? 1) - 1;
        if (n > 0) this.counts.set(s, n);
        else this.counts.delete(s);
      }
    };
  }

  busy(shard: number): boolean {
    return this.counts.has(shard);
  }
}
