import { randomUUID } from 'node:crypto';
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxStore, wrapEvent, writeOutboxEvent } from '@realchat/persistence/outbox';
import { createLogger } from '@realchat/platform';
import { EventType } from '@realchat/proto';
import { RelayMetrics } from '../src/metrics';
import { OutboxRelay } from '../src/relay/outbox-relay';
import type { RelayConfig } from '../src/relay/relay-config';
import { enqueue, envelope, eventually, scratchDatabase } from './support/database';
import { alterTopic, createTopic, kafkaSink, readTopic, type ReadRecord } from './support/kafka';

/**
 * Poison rows and order against real PostgreSQL and Kafka (docs/outbox-relay.md "Failures"):
 * while a row is retried the later events of its conversation wait; once it is parked they
 * flow; a record above the broker's size limit takes the one-by-one path and is parked; a
 * requeued row really reaches Kafka.
 */
const logger = createLogger('poison-test', 'silent');
let db: Database;
beforeEach(async () => {
  db = await scratchDatabase('relay_poison');
});
afterEach(() => db.close());

function relayOn(topic: string, config: Partial<RelayConfig>, metrics = new RelayMetrics()) {
  const outbox = new OutboxStore(db, 4);
  const relay = new OutboxRelay(
    { replicaId: 'solo', shardCount: 4, leaseMs: 5000, pollIntervalMs: 50, ...config },
    {
      source: outbox,
      sink: kafkaSink(topic, 'poison-test', logger),
      leases: new ShardLeases(db, 'solo', 4, 5000),
      metrics,
      logger,
    },
  );
  return { relay, outbox, metrics };
}

async function poisonRow(conversationId: string): Promise<string> {
  const eventId = randomUUID();
  await db.transaction((tx) =>
    writeOutboxEvent(tx, {
      ...wrapEvent({
        conversationId,
        eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
        occurredAt: new Date(),
        payload: Buffer.from('x'),
      }),
      eventId,
      eventType: 9999, // no record can carry an unknown event type
    }),
  );
  return eventId;
}

const ids = (records: readonly ReadRecord[], key?: string) =>
  records.filter((r) => key === undefined || r.key === key).map((r) => r.headers['event-id']);

async function outboxRow(eventId: string) {
  return db.prisma.outboxEvent.findUnique({ where: { eventId } });
}

describe('poison rows and order (PostgreSQL + Kafka)', () => {
  it('holds back later events of the conversation while its poison row is retried, and lets them flow once it is parked', async () => {
    const topic = `relay-poison-${randomUUID()}`;
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    const a1 = await enqueue(db, a, envelope());
    const poison = await poisonRow(a);
    const a2 = await enqueue(db, a, envelope());
    const b1 = await enqueue(db, b, envelope());
    const b2 = await enqueue(db, b, envelope());

    // A budget too large to run out while we look: the poison row is being retried.
    const first = relayOn(topic, { maxAttempts: 1_000_000 });
    const running = first.relay.run();
    expect(await eventually(async () => ((await outboxRow(poison))?.attempts ?? 0) >= 3)).toBe(
      true,
    );
    const during = await readTopic(topic, (r) => r.length >= 3);
    expect(new Set(ids(during))).toEqual(new Set([a1, b1, b2]));
    // a2 waits in the outbox, untouched: it is not the faulty row.
    expect((await outboxRow(a2))?.attempts).toBe(0);
    expect(await outboxRow(poison)).not.toBeNull();
    await first.relay.close();
    await running;

    // With the budget spent, the next relay parks the row and a2 follows.
    const second = relayOn(topic, { maxAttempts: 3 });
    const running2 = second.relay.run();
    expect(await eventually(async () => (await db.prisma.outboxEvent.count()) === 0)).toBe(true);
    await second.relay.close();
    await running2;
    const parked = await db.prisma.outboxDeadLetter.findMany({ where: { conversationId: a } });
    expect(parked.map((p) => p.eventId)).toEqual([poison]);
    const after = await readTopic(topic, (r) => r.length >= 4);
    expect(ids(after, a)).toEqual([a1, a2]);
    expect(ids(after, b)).toEqual([b1, b2]);
    const a2Record = after.find((r) => r.headers['event-id'] === a2)!;
    expect(a2Record.timestamp).toBeGreaterThanOrEqual(parked[0].parkedAt.getTime());
  });

  it('parks a record above the broker size limit through the one-by-one path, and publishes it once requeued after the fix', async () => {
    const topic = `relay-too-large-${randomUUID()}`;
    await createTopic(topic, 1, { 'max.message.bytes': '2048' });
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    const a1 = await enqueue(db, a, envelope());
    const bigPayload = envelope(EventType.EVENT_TYPE_MESSAGE_SENT, 4000);
    const big = await enqueue(db, a, bigPayload);
    const a2 = await enqueue(db, a, envelope());
    const b1 = await enqueue(db, b, envelope());

    const { relay, outbox, metrics } = relayOn(topic, { maxAttempts: 3 });
    const running = relay.run();
    try {
      expect(await eventually(async () => (await db.prisma.outboxEvent.count()) === 0)).toBe(true);
      const parked = await db.prisma.outboxDeadLetter.findMany({ where: { conversationId: a } });
      expect(parked.map((p) => [p.eventId, p.attempts])).toEqual([[big, 3]]);
      const errors = parked[0].errors as { error: string }[];
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e.error).toMatch(/TOO_LARGE/);
      expect((await metrics.publishErrors.get()).values).toContainEqual(
        expect.objectContaining({ labels: { kind: 'record' }, value: 3 }),
      );
      const published = await readTopic(topic, (r) => r.length >= 3);
      expect(ids(published, a)).toEqual([a1, a2]);
      expect(ids(published, b)).toEqual([b1]);
      // a2 waited for the big record to be parked (order first while it was retried).
      const a2Record = published.find((r) => r.headers['event-id'] === a2)!;
      expect(a2Record.timestamp).toBeGreaterThanOrEqual(parked[0].parkedAt.getTime());

      // The cause is fixed (the topic accepts larger records): requeue, and it really arrives.
      await alterTopic(topic, { 'max.message.bytes': String(1024 * 1024) });
      expect(await outbox.requeue([parked[0].id])).toBe(1);
      expect(await eventually(async () => (await db.prisma.outboxEvent.count()) === 0)).toBe(true);
      const all = await readTopic(topic, (r) => r.length >= 4);
      expect(ids(all, a)).toEqual([a1, a2, big]);
      expect(Buffer.from(all.find((r) => r.headers['event-id'] === big)!.value)).toEqual(
        Buffer.from(bigPayload),
      );
    } finally {
      await relay.close();
      await running;
    }
  });
});
