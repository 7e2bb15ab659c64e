import { credentials, makeClientConstructor, Metadata, ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import { ServiceHealth, startGrpcServer, stopGrpcServer } from '../src';
import { echo } from './support/echo-service';

interface Health {
  check(
    r: { service: string },
    md: Metadata,
    o: { deadline: Date },
    cb: (e: ServiceError | null, r?: { status: string }) => void,
  ): void;
  watch(r: { service: string }): NodeJS.EventEmitter;
  close(): void;
}

async function serve(dependencyUp: () => boolean | 'hang', timeoutMs = 200) {
  let calls = 0;
  const health = new ServiceHealth({
    services: ['test.Echo'],
    dependencies: [
      {
        name: 'db',
        check: () => {
          calls++;
          const up = dependencyUp();
          if (up === 'hang') return new Promise<void>(() => undefined);
          return up ? Promise.resolve() : Promise.reject(new Error('down'));
        },
      },
    ],
    intervalMs: 60_000, // rounds are run by the test (checkNow)
    timeoutMs,
    logger: pino({ level: 'silent' }),
  });
  const { server, port } = await startGrpcServer(echo, { echo: () => undefined }, '127.0.0.1', 0, {
    health,
  });
  const Client = makeClientConstructor(healthService as never, 'grpc.health.v1.Health');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as never as Health;
  const check = (service: string) =>
    new Promise<string>((resolve, reject) =>
      client.check(
        { service },
        new Metadata(),
        { deadline: new Date(Date.now() + 5000) },
        (e, r) => (e ? reject(e) : resolve(r!.status)),
      ),
    );
  const statuses = async () => [await check(''), await check('test.Echo'), await check('liveness')];
  return {
    health,
    client,
    statuses,
    calls: () => calls,
    stop: async () => {
      client.close();
      await stopGrpcServer(server, 2000);
    },
  };
}

describe('ServiceHealth', () => {
  it('is NOT_SERVING until the first round passed, then follows the dependency; liveness does not', async () => {
    let up = true;
    const s = await serve(() => up);
    try {
      expect(await s.statuses()).toEqual(['NOT_SERVING', 'NOT_SERVING', 'SERVING']);
      await s.health.checkNow();
      expect(await s.statuses()).toEqual(['SERVING', 'SERVING', 'SERVING']);
      up = false;
      await s.health.checkNow();
      expect(await s.statuses()).toEqual(['NOT_SERVING', 'NOT_SERVING', 'SERVING']);
      expect(s.health.readinessDetail()).toBe('db=false');
      up = true;
      await s.health.checkNow();
      expect(await s.statuses()).toEqual(['SERVING', 'SERVING', 'SERVING']);
    } finally {
      await s.stop();
    }
  });

  it('counts a check that outlives its timeout as failed and does not start it again meanwhile', async () => {
    const s = await serve(() => 'hang', 50);
    try {
      await s.health.checkNow();
      await s.health.checkNow();
      expect(await s.statuses()).toEqual(['NOT_SERVING', 'NOT_SERVING', 'SERVING']);
      expect(s.calls()).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('drain() turns every name NOT_SERVING, tells watchers and ends their streams', async () => {
    const s = await serve(() => true);
    try {
      await s.health.checkNow();
      const watch = s.client.watch({ service: 'test.Echo' });
      const seen: string[] = [];
      watch.on('data', (m: { status: string }) => seen.push(m.status));
      const ended = new Promise((resolve) => watch.on('end', resolve));
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
      s.health.drain();
      await ended;
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
      expect(await s.statuses()).toEqual(['NOT_SERVING', 'NOT_SERVING', 'NOT_SERVING']);
      // Checks after the drain do not bring it back.
      await s.health.checkNow();
      expect(await s.statuses()).toEqual(['NOT_SERVING', 'NOT_SERVING', 'NOT_SERVING']);
      expect(s.health.readiness()).toEqual({
        ready: false,
        draining: true,
        dependencies: { db: true },
      });
    } finally {
      await s.stop();
    }
  });
});
