import { randomUUID } from 'node:crypto';
import {
  CuttableProxy,
  deliveredInOrder,
  EventCollector,
  eventually,
  freshDatabase,
  OutboxLoad,
  outboxSize,
  Stack,
} from '@realchat/testing';

/**
 * PostgreSQL unreachable for the relay (its connections cut by a TCP proxy) while events keep
 * being committed: the relay retries, recovers by itself and delivers everything in order.
 */
describe('outbox relay while PostgreSQL is unreachable', () => {
  it('recovers by itself and loses nothing', async () => {
    const databaseUrl = await freshDatabase('e2e_relay_pgdown');
    const topic = `relay-pgdown-${randomUUID()}`;
    const pg = new URL(databaseUrl);
    const proxy = new CuttableProxy({ host: pg.hostname, port: Number(pg.port) });
    await proxy.open();
    const viaProxy = new URL(databaseUrl);
    viaProxy.port = String(proxy.port);
    const [stack, events] = await Promise.all([
      Stack.start({ databaseUrl, messageApis: 0, topic, relayEnv: { RELAY_LEASE_MS: '2000' } }),
      EventCollector.start(topic),
    ]);
    const load = new OutboxLoad(
      databaseUrl,
      Array.from({ length: 8 }, (_, i) => `conv-${i}-${randomUUID().slice(0, 8)}`),
    );
    try {
      const relay = await stack.startRelay({ DATABASE_URL: viaProxy.toString() });
      const writing = load.run(100, 10);
      await eventually('some events on Kafka', () => events.events.length > 50, 30_000);
      await proxy.cut();
      await relay.waitForLog((l) => l.msg === 'PostgreSQL unavailable: retrying', 30_000);
      await eventually(
        'a backlog while the relay cannot reach PostgreSQL',
        async () => (await outboxSize(databaseUrl)) > 20,
        30_000,
      );
      await proxy.open(proxy.port);
      await writing;
      expect(await deliveredInOrder(databaseUrl, load, events)).toEqual([]);
      expect(load.total).toBe(800);
    } finally {
      await load.close();
      await events.stop();
      await stack.stop();
      await proxy.cut().catch(() => undefined);
    }
  });
});
