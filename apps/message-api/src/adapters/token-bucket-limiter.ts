import type { SendRateLimit } from '../app/ports';

/** Above this many tracked senders, full buckets are swept (they equal an absent bucket). */
const SWEEP_ABOVE = 10_000;

/**
 * A token bucket per sender, in this process's memory: `burst` sends at once, then `ratePerSecond`
 * on average. Hand-written rather than rate-limiter-flexible's RateLimiterMemory, which counts
 * points in fixed windows: that allows twice the burst across a window edge and has no refill
 * rate, while the contract here (SEND_RATE_PER_SECOND, SEND_RATE_BURST) is a bucket. It costs one
 * Map entry per recently active sender, swept once they would be full again.
 *
 * Per instance, not global: with N message-api instances behind a load balancer that spreads a
 * user's calls, the user's effective limit is up to N times this (docs/security.md).
 */
export class TokenBucketLimiter implements SendRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new Error('a token bucket needs a rate > 0 and a burst >= 1');
    }
  }

  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (this.buckets.size > SWEEP_ABOVE) this.sweep(now);
      return 0;
    }
    this.buckets.set(key, b);
    // Time until one whole token has dripped in.
    return Math.ceil(((1 - b.tokens) / this.ratePerSecond) * 1000);
  }

  /** Senders tracked now (for tests of the sweep). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.ratePerSecond >= this.burst)
        this.buckets.delete(key);
    }
  }
}
