import { randomUUID } from 'node:crypto';
import { localKafka, startKafka, stopKafka } from '@realchat/infra';
import {
  deliveredInOrder,
  EventCollector,
  eventually,
  freshDatabase,
  OutboxLoad,
  outboxSize,
  query,
  Stack,
} from '@realchat/testing';

/**
 * Kafka stopped during load and started again: nothing is lost and the relay catches up by
 * itself, without a restart. The test runs its own single-node broker (same jars and code as
 * the local infrastructure, other ports) so that stopping it disturbs no other test.
 */
const broker = localKafka(Number(process.env.REALCHAT_OUTAGE_KAFKA_PORT ?? 19092), 'kafka-outage');

async function readyz(port: number): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
}

describe('outbox relay during a Kafka outage', () => {
  beforeAll(() => startKafka(broker), 120_000);
  afterAll(() => stopKafka(broker), 60_000);

  it('keeps rows while Kafka is down, reports not-ready, and drains when it is back', async () => {
    const databaseUrl = await freshDatabase('e2e_relay_outage');
    const topic = `relay-outage-${randomUUID()}`;
    const stack = await Stack.start({
      databaseUrl,
      messageApis: 0,
      topic,
      relayEnv: {
        KAFKA_BROKERS: broker.brokers,
        KAFKA_REQUEST_TIMEOUT_MS: '3000',
        RELAY_BACKOFF_MAX_MS: '1000',
      },
    });
    let events = await EventCollector.start(topic, broker.brokers);
    const load = new OutboxLoad(
      databaseUrl,
      Array.from({ length: 8 }, (_, i) => `conv-${i}-${randomUUID().slice(0, 8)}`),
    );
    try {
      const relay = await stack.startRelay();
      const http = relay.port('http');
      const writing = load.run(120, 10);
      await eventually('some events on Kafka', () => events.events.length > 80, 30_000);
      expect(await readyz(http)).toBe(200);

      await events.stop();
      await stopKafka(broker);
      await eventually(
        'the relay to report not-ready',
        async () => (await readyz(http)) === 503,
        30_000,
      );
      await relay.waitForLog(
        (l) => l.msg === 'Kafka unavailable: pausing, rows stay in the outbox',
        30_000,
      );
      await eventually(
        'a backlog while Kafka is down',
        async () => (await outboxSize(databaseUrl)) > 20,
        30_000,
      );

      await startKafka(broker);
      await writing;
      await eventually(
        'the outbox to drain after Kafka is back',
        async () => (await outboxSize(databaseUrl)) === 0,
        60_000,
      );
      await relay.waitForLog((l) => l.msg === 'Kafka available again: resuming', 5000);
      expect(await readyz(http)).toBe(200);
      // No row spent attempts on the outage: nothing was parked.
      const [{ parked }] = await query<{ parked: number }>(
        databaseUrl,
        'SELECT count(*)::int AS parked FROM outbox_dead_letters',
      );
      expect(parked).toBe(0);

      events = await EventCollector.start(topic, broker.brokers);
      expect(await deliveredInOrder(databaseUrl, load, events)).toEqual([]);
      expect(load.total).toBe(8 * 120);
    } finally {
      await load.close();
      await events.stop().catch(() => undefined);
      await stack.stop();
    }
  });
});
