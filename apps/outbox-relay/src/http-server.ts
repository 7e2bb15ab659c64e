import http from 'node:http';
import type { OutboxStore } from '@realchat/persistence/outbox';
import type { Logger } from 'pino';
import type { RelayMetrics } from './metrics';

/**
 * /metrics (Prometheus text), /healthz (the process is alive) and /readyz (PostgreSQL and Kafka
 * reachable and lease rounds succeeding: this replica publishes or can take shards).
 */
export async function startHttpServer(
  host: string,
  port: number,
  metrics: RelayMetrics,
  outbox: OutboxStore,
  ready: () => boolean,
  logger: Logger,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz') return reply(res, 200, 'ok\n');
      if (req.url === '/readyz')
        return ready() ? reply(res, 200, 'ready\n') : reply(res, 503, 'not ready\n');
      if (req.url === '/metrics') {
        try {
          const b = await outbox.backlog();
          metrics.pending.set(b.pending);
          metrics.oldestAge.set(b.oldestAgeSeconds);
          metrics.deadLetterRows.set(b.deadLetters);
        } catch (e) {
          logger.debug({ err: (e as Error).message }, 'backlog gauges not refreshed');
        }
        return reply(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      }
      reply(res, 404, 'not found\n');
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

function reply(res: http.ServerResponse, code: number, body: string, type = 'text/plain'): void {
  res.writeHead(code, { 'content-type': type });
  res.end(body);
}
