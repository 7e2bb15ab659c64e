import http from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HttpProbeTargets {
  /** Served as Prometheus text on /metrics. */
  readonly registry: Registry;
  /** /readyz: 200 when ready, else 503; `detail` says what is failing (e.g. postgres=false). */
  readonly readiness: () =>
    { ready: boolean; detail: string } | Promise<{ ready: boolean; detail: string }>;
  /** Refreshes gauges that are read on demand (e.g. the relay's backlog) before a scrape. */
  readonly beforeScrape?: () => Promise<void>;
  readonly logger: Logger;
}

export interface HttpProbes {
  readonly port: number;
  readonly close: () => Promise<void>;
}

/**
 * /metrics, /healthz (liveness: the process answers; never asks a dependency) and /readyz
 * (dependencies answer and the process is not draining) over plain HTTP (port 0: a free one).
 */
export async function startHttpProbes(
  host: string,
  port: number,
  targets: HttpProbeTargets,
): Promise<HttpProbes> {
  const { registry, readiness, beforeScrape, logger } = targets;
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/healthz') return reply(res, 200, 'ok\n');
      if (path === '/readyz') {
        const r = await readiness();
        return reply(res, r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'} ${r.detail}\n`);
      }
      if (path === '/metrics') {
        await beforeScrape?.().catch((e: unknown) =>
          logger.debug({ err: (e as Error).message }, 'gauges not refreshed before the scrape'),
        );
        return reply(res, 200, await registry.metrics(), registry.contentType);
      }
      reply(res, 404, 'not found\n');
    })().catch((e: unknown) => {
      logger.warn({ err: e }, 'probe request failed');
      if (!res.headersSent) reply(res, 500, 'error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
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
