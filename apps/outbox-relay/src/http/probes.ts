import http from 'node:http';
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
 * /metrics (Prometheus text), /healthz (the process is alive) and /readyz (PostgreSQL answers
 * now, Kafka connected and lease rounds succeeding: this replica publishes or can take shards).
 */
export async function startProbes(
  host: string,
  port: number,
  targets: ProbeTargets,
): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const { metrics, source, ready, logger } = targets;
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz') return reply(res, 200, 'ok\n');
      if (req.url === '/readyz') {
        const r = await ready();
        const detail = `postgres=${r.postgres} kafka=${r.kafka} leases=${r.leases}\n`;
        return reply(res, r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'} ${detail}`);
      }
      if (req.url === '/metrics') {
        try {
          const b = await source.backlog();
          metrics.pending.set(b.pending);
          metrics.oldestAge.set(b.oldestAgeSeconds);
          metrics.deadLetterRows.set(b.deadLetters);
        } catch (e) {
          logger.debug({ err: (e as Error).message }, 'backlog gauges not refreshed');
        }
        return reply(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      }
      reply(res, 404, 'not found\n');
    })().catch((e: unknown) => {
      logger.warn({ err: e }, 'probe request failed');
      if (!res.headersSent) reply(res, 500, 'error\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: http.ServerResponse, code: number, body: string, type = 'text/plain'): void {
  res.writeHead(code, { 'content-type': type });
  res.end(body);
}
