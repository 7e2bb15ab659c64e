import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { DomainError } from '@realchat/domain';
import pino from 'pino';
import {
  createMetricsRegistry,
  GrpcServerMetrics,
  observeDbPool,
  startGrpcServer,
  startHttpProbes,
  stopGrpcServer,
  unary,
} from '../src';
import { echo } from './support/echo-service';

describe('gRPC server metrics and HTTP probes', () => {
  it('counts calls by method and code, times them, and serves them on /metrics', async () => {
    const registry = createMetricsRegistry();
    observeDbPool(registry, { totalCount: 3, idleCount: 2, waitingCount: 1 });
    const logger = pino({ level: 'silent' });
    const handlers = {
      echo: unary<Buffer, Buffer>('Echo', logger, async (req) => {
        if (req.toString() === 'bad') throw DomainError.invalid([{ field: 'x', description: 'y' }]);
        return req;
      }),
    };
    const { server, port } = await startGrpcServer(echo, handlers, '127.0.0.1', 0, {
      metrics: new GrpcServerMetrics(registry),
    });
    let ready = true;
    const http = await startHttpProbes('127.0.0.1', 0, {
      registry,
      readiness: () => ({ ready, detail: `db=${ready}` }),
      logger,
    });
    const Client = makeGenericClientConstructor(echo, 'Echo');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    const call = (body: string) =>
      new Promise<number>((resolve) =>
        (client as never as Record<string, (...a: unknown[]) => void>).echo(
          Buffer.from(body),
          (e: { code?: number } | null) => resolve(e?.code ?? status.OK),
        ),
      );
    try {
      expect([await call('a'), await call('b'), await call('bad')]).toEqual([
        status.OK,
        status.OK,
        status.INVALID_ARGUMENT,
      ]);
      const url = `http://127.0.0.1:${http.port}`;
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain('grpc_server_handled_total{method="Echo",code="OK"} 2');
      expect(text).toContain('grpc_server_handled_total{method="Echo",code="INVALID_ARGUMENT"} 1');
      expect(text).toContain('grpc_server_handling_seconds_count{method="Echo"} 3');
      expect(text).toContain('grpc_server_in_flight{method="Echo"} 0');
      expect(text).toContain('db_pool_connections{state="total"} 3');
      expect(text).toContain('db_pool_connections{state="waiting"} 1');
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      ready = false;
      const r = await fetch(`${url}/readyz`);
      expect([r.status, await r.text()]).toEqual([503, 'not ready db=false\n']);
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    } finally {
      client.close();
      await stopGrpcServer(server, 2000);
      await http.close();
    }
  });
});
