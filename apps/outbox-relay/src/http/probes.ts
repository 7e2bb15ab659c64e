import { HttpProbes, startHttpProbes } from '@realchat/platform';
import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics';
import type { Readiness } from '../relay/outbox-relay';
import type { OutboxSource } from '../relay/ports';

export interface ProbeTargets {
  readonly metrics: RelayMetrics;
  /** Backlog gauges, refreshed on each scrape. */
  readonly source: Pick<OutboxSource, 'backlog'>;
  readonly ready: () => Promise<Readiness>;
  readonly logger: Logger;
}

/**
 * The relay's /metrics, /healthz (the process is alive) and /readyz (PostgreSQL answers now,
 * Kafka connected and lease rounds succeeding: this replica publishes or can take shards), on
 * the HTTP probes every app shares.
 */
export function startProbes(
  host: string,
  port: number,
  targets: ProbeTargets,
): Promise<HttpProbes> {
  const { metrics, source, ready, logger } = targets;
  return startHttpProbes(host, port, {
    registry: metrics.registry,
    logger,
    readiness: async () => {
      const r = await ready();
      return {
        ready: r.ready,
        detail: `postgres=${r.postgres} kafka=${r.kafka} leases=${r.leases}`,
      };
    },
    beforeScrape: async () => {
      const b = await source.backlog();
      metrics.pending.set(b.pending);
      metrics.oldestAge.set(b.oldestAgeSeconds);
      metrics.deadLetterRows.set(b.deadLetters);
    },
  });
}
