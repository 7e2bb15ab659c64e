import { randomUUID } from 'node:crypto';
import { LocalKafka, startKafka, stopKafka } from '@realchat/infra';
import {
  deliveredInOrder,
  deliveryProblems,
  EventCollector,
  eventually,
  freshDatabase,
  OutboxLoad,
  outboxSize,
  query,
  Stack,
  startDedicatedKafka,
  testTopic,
} from '@realchat/testing';

/**
 * Kafka stopped and started again: rows committed during the outage stay in the outbox, the
 * relay reports not-ready and catches up by itself, without a restart, losing nothing. The test
 * runs its own broker (startDedicatedKafka) so that stopping it disturbs no other test. Each
 * phase waits for the state it needs (broker process gone, relay's outage logged) instead of
 * racing the writes against the broker's shutdown.
 */
const CONVERSATIONS = 8;
const PER_PHASE = 40;

async function readyz(port: number): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
}

describe('outbox relay during a Kafka outage', () => {
  let broker: LocalKafka;
  beforeAll(async () => {
    broker = await startDedicatedKafka('kafka-outage');
  }, 120_000);

  it('keeps rows while Kafka is down, reports not-ready, and drains when it is back', async () => {
    const databaseUrl = await freshDatabase('e2e_relay_outage');
    const topic = testTopic('relay-outage', broker.brokers);
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
      Array.from({ length: CONVERSATIONS }, (_, i) => `conv-${i}-${randomUUID().slice(0, 8)}`),
    );
    try {
      const relay = await stack.startRelay();
      const http = relay.port('http');

      // Before: a first batch goes through.
      await load.run(PER_PHASE);
      await eventually(
        'the first batch on Kafka',
        () => deliveryProblems(load.committed, events.events).length === 0,
        30_000,
      );
      expect(await readyz(http)).toBe(200);

      // During: the broker process is gone before a single row of this batch is committed.
      await events.stop();
      await stopKafka(broker);
      await load.run(PER_PHASE);
      await relay.waitForLog(
        (l) => l.msg === 'Kafka unavailable: pausing, rows stay in the outbox',
        30_000,
      );
      await relay.waitForLog((l) => l.msg === 'Kafka still unavailable', 30_000);
      await eventually(
        'the relay to report not-ready',
        async () => (await readyz(http)) === 503,
        30_000,
      );
      expect(await outboxSize(databaseUrl)).toBe(CONVERSATIONS * PER_PHASE);

      // After: the broker is back, writes go on, and the relay catches up by itself.
      await startKafka(broker);
      await load.run(PER_PHASE);
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
      expect(load.total).toBe(CONVERSATIONS * PER_PHASE * 3);
    } finally {
      await load.close();
      await events.stop();
      await stack.stop();
    }
  });
});
