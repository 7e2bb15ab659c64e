import { TokenBucketLimiter } from '../src/adapters/token-bucket-limiter';

/** The per-sender token bucket, on a hand-driven clock (ms). */
describe('TokenBucketLimiter', () => {
  const setup = (rate: number, burst: number) => {
    let t = 0;
    const limiter = new TokenBucketLimiter(rate, burst, () => t);
    return { limiter, advance: (ms: number) => (t += ms) };
  };

  it('allows a burst at once, then refuses with the time until the next token', () => {
    const { limiter } = setup(2, 3); // one token every 500 ms
    expect([1, 2, 3].map(() => limiter.take('alice'))).toEqual([0, 0, 0]);
    expect(limiter.take('alice')).toBe(500);
  });

  it('refills at the rate, never above the burst', () => {
    const { limiter, advance } = setup(2, 3);
    for (let i = 0; i < 3; i++) limiter.take('alice');
    advance(250);
    expect(limiter.take('alice')).toBe(250); // half a token so far
    advance(250);
    expect(limiter.take('alice')).toBe(0);
    advance(60_000); // a long pause refills to the burst, not to 120 tokens
    expect(Array.from({ length: 4 }, () => limiter.take('alice'))).toEqual([0, 0, 0, 500]);
  });

  it('keeps one bucket per sender: one user over the limit does not limit another', () => {
    const { limiter } = setup(1, 2);
    for (let i = 0; i < 10; i++) limiter.take('mallory');
    expect(limiter.take('mallory')).toBeGreaterThan(0);
    expect([limiter.take('alice'), limiter.take('alice')]).toEqual([0, 0]);
  });

  it('forgets senders whose bucket has refilled, so memory follows active senders only', () => {
    const { limiter, advance } = setup(10, 1);
    for (let i = 0; i <= 10_000; i++) limiter.take(`user-${i}`);
    advance(1000);
    limiter.take('one-more'); // over 10 000 tracked: the sweep drops the full buckets
    expect(limiter.size).toBeLessThanOrEqual(1);
  });

  it.each([
    [0, 1],
    [1, 0],
  ])('refuses rate %d with burst %d', (rate, burst) => {
    expect(() => new TokenBucketLimiter(rate, burst)).toThrow(/rate > 0 and a burst >= 1/);
  });
});
