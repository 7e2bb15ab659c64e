/**
 * Settings of one OutboxRelay (Watermill's `Config{}.setDefaults()` / `Validate()`): what
 * `withDefaults` does not derive from RELAY_LEASE_MS comes from the environment (src/config.ts).
 */
export interface RelayConfig {
  /** This replica's name in the shard leases. */
  readonly replicaId: string;
  /** Shards the outbox is split into; the same on every replica. */
  readonly shardCount: number;
  /** Shard lease duration: a dead replica's shards move within this. */
  readonly leaseMs: number;
  /** Time between lease rounds (heartbeat, renew, rebalance). Default: a third of the lease. */
  readonly roundIntervalMs: number;
  /**
   * A shard is usable only while more than this much of its lease remains, so that the relay
   * stops publishing it before another replica can take it. Default: a third of the lease.
   */
  readonly renewMarginMs: number;
  /**
   * Upper bound of one send to the sink. A slower send counts as a broker failure and the
   * producer is dropped, so nothing of a batch is sent after its lease may have moved on.
   * Default: a quarter of the lease (inside the renewal margin).
   */
  readonly publishTimeoutMs: number;
  /** Most rows read and sent in one batch. */
  readonly batchSize: number;
  /**
   * Most batches between read and deleted. 2: the previous batch is deleted while the next one
   * is read and sent; 3: the next one is also read while one is sent. Sends stay one at a time.
   * 1: read, send, delete, in turn.
   */
  readonly maxInFlightBatches: number;
  /** Polling fallback when no NOTIFY arrives. */
  readonly pollIntervalMs: number;
  /** Failed attempts (the row's own fault) before a row is parked in outbox_dead_letters. */
  readonly maxAttempts: number;
  /** First retry delay while the broker is down. */
  readonly backoffMinMs: number;
  /** Longest retry delay while the broker is down. */
  readonly backoffMaxMs: number;
  /** How long close() waits for the batch in flight (SHUTDOWN_GRACE_MS). */
  readonly drainTimeoutMs: number;
  /** Longest wait for PostgreSQL's answer to the readiness probe. Default: 1 s (less for short leases). */
  readonly probeTimeoutMs: number;
}

const FIXED_DEFAULTS = {
  shardCount: 32,
  leaseMs: 10_000,
  batchSize: 500,
  maxInFlightBatches: 2,
  pollIntervalMs: 1000,
  maxAttempts: 5,
  backoffMinMs: 200,
  backoffMaxMs: 10_000,
  drainTimeoutMs: 15_000,
};

/** The config with every unset field defaulted; timings not given are derived from the lease. */
export function withDefaults(
  given: Partial<RelayConfig> & Pick<RelayConfig, 'replicaId'>,
): RelayConfig {
  const leaseMs = given.leaseMs ?? FIXED_DEFAULTS.leaseMs;
  return {
    ...FIXED_DEFAULTS,
    roundIntervalMs: Math.floor(leaseMs / 3),
    renewMarginMs: Math.floor(leaseMs / 3),
    publishTimeoutMs: Math.floor(leaseMs / 4),
    probeTimeoutMs: Math.min(1000, Math.floor(leaseMs / 4)),
    ...dropUndefined(given),
    replicaId: given.replicaId,
  };
}

/** Every problem of `c`, including settings that contradict each other; empty when valid. */
export function validateRelayConfig(c: RelayConfig): string[] {
  const problems: string[] = [];
  const atLeast = (name: keyof RelayConfig, min: number) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      problems.push(`${name} must be an integer >= ${min} (is ${String(v)})`);
  };
  if (!c.replicaId) problems.push('replicaId must not be empty');
  atLeast('shardCount', 1);
  atLeast('leaseMs', 3);
  atLeast('roundIntervalMs', 1);
  atLeast('renewMarginMs', 1);
  atLeast('publishTimeoutMs', 1);
  atLeast('batchSize', 1);
  atLeast('maxInFlightBatches', 1);
  atLeast('pollIntervalMs', 1);
  atLeast('maxAttempts', 1);
  atLeast('backoffMinMs', 1);
  atLeast('backoffMaxMs', 1);
  atLeast('drainTimeoutMs', 0);
  atLeast('probeTimeoutMs', 1);
  if (c.backoffMinMs > c.backoffMaxMs)
    problems.push(
      `backoffMinMs (${c.backoffMinMs}) must not exceed backoffMaxMs (${c.backoffMaxMs})`,
    );
  if (c.roundIntervalMs + c.renewMarginMs >= c.leaseMs)
    problems.push(
      `roundIntervalMs + renewMarginMs (${c.roundIntervalMs} + ${c.renewMarginMs}) must be below ` +
        `leaseMs (${c.leaseMs}): a renewed lease must stay usable until the next round`,
    );
  if (c.publishTimeoutMs >= c.renewMarginMs)
    problems.push(
      `publishTimeoutMs (${c.publishTimeoutMs}) must be below renewMarginMs ` +
        `(${c.renewMarginMs}): a publish must end, and leave time to acknowledge, before the ` +
        `lease it started under can expire`,
    );
  if (c.pollIntervalMs > c.leaseMs)
    problems.push(
      `pollIntervalMs (${c.pollIntervalMs}) must not exceed leaseMs (${c.leaseMs}): a missed ` +
        'wake-up must not delay rows longer than a failover does',
    );
  if (c.probeTimeoutMs >= c.leaseMs)
    problems.push(`probeTimeoutMs (${c.probeTimeoutMs}) must be below leaseMs (${c.leaseMs})`);
  return problems;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
