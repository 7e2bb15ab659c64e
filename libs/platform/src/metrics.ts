import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Buckets of latency histograms, in seconds (1 ms to 10 s). */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The registry of one process, with prom-client's default process and Node.js metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** What db_pool_connections reads from a pg Pool (structurally: platform does not import pg). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * db_pool_connections{state="total"|"idle"|"waiting"}, read from the pool on each scrape.
 * `waiting` counts callers queued for a connection: above 0 for long, the pool is too small.
 */
export function observeDbPool(registry: Registry, pool: PoolCounts): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle) and callers waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}
