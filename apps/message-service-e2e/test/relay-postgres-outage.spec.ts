import { randomUUID } from 'node:crypto';
import {
  AppProcess,
  CuttableProxy,
  deliveredInOrder,
  deliveryProblems,
  EventCollector,
  eventually,
  freshDatabase,
  OutboxLoad,
  outboxSize,
  Stack,
  testTopic,
} from '@realchat/testing';

/**
 * PostgreSQL unreachable for the relay (its connections cut by a TCP proxy) while events keep
 * being committed: the relay retries, recovers by itself and delivers everything in order. The
 * outage batch is committed only once the relay is cut off, so the backlog is certain.
 */
const CONVERSATIONS = 8;

const readyz = (relay: AppProcess) =>
  fetch(`http://127.0.0.1:${relay.port('http')}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
const PER_PHASE = 30;

describe('outbox relay while PostgreSQL is unreachable', () => {
  it('recovers by itself and loses nothing', async () => {
    const databaseUrl = await freshDatabase('e2e_relay_pgdown');
    const topic = testTopic('relay-pgdown');
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
      Array.from({ length: CONVERSATIONS }, (_, i) => `conv-${i}-${randomUUID().slice(0, 8)}`),
    );
    try {
      const relay = await stack.startRelay({ DATABASE_URL: viaProxy.toString() });
      await load.run(PER_PHASE);
      await eventually(
        'the first batch on Kafka',
        () => deliveryProblems(load.committed, events.events).length === 0,
        30_000,
      );

      await proxy.cut();
      await load.run(PER_PHASE); // the test writes directly, not through the proxy
      // An idle relay notices through its lease rounds, a busy one through the publish loop.
      await relay.waitForLog(
        (l) =>
          l.msg === 'shard lease round failed; retrying' ||
          l.msg === 'PostgreSQL unavailable: retrying',
        30_000,
      );
      await eventually('the relay to report not-ready', async () => (await readyz(relay)) === 503);
      expect(await outboxSize(databaseUrl)).toBe(CONVERSATIONS * PER_PHASE);

      await proxy.open();
      await load.run(PER_PHASE);
      await eventually(
        'the relay to report ready again',
        async () => (await readyz(relay)) === 200,
      );
      expect(await deliveredInOrder(databaseUrl, load, events)).toEqual([]);
      expect(load.total).toBe(CONVERSATIONS * PER_PHASE * 3);
    } finally {
      await load.close();
      await events.stop();
      await stack.stop();
    }
  });
});
