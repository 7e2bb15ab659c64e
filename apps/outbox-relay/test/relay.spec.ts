import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxStore, writeOutboxEvent } from '@realchat/persistence/outbox';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { createLogger } from '@realchat/platform';
import { EventEnvelope, EventType } from '@realchat/proto';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaPublisher } from '../src/kafka-publisher';
import { LeaseKeeper } from '../src/lease-keeper';
import { RelayMetrics } from '../src/metrics';
import { Relay } from '../src/relay';

const logger = createLogger('relay-test', 'silent');
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
let db: Database;

// Each test gets its own database: shard leases and the outbox are shared by every relay of one.
beforeEach(async () => {
  const url = await createScratchDatabase(
    process.env.DATABASE_URL!,
    'relay_unit',
    path.resolve(__dirname, '../../../prisma/migrations'),
  );
  db = new Database({ url, poolSize: 5 });
});
afterEach(() => db.close());

function envelope(eventType = EventType.EVENT_TYPE_MESSAGE_SENT): Uint8Array {
  return EventEnvelope.encode({
    eventType,
    schemaVersion: 1,
    occurredAt: new Date(),
    payload: Buffer.from('x'),
  }).finish();
}

async function enqueue(
  conversationId: string,
  payload: Uint8Array,
  eventType = EventType.EVENT_TYPE_MESSAGE_SENT,
): Promise<string> {
  const eventId = randomUUID();
  await db.transaction((tx) =>
    writeOutboxEvent(tx, { eventId, conversationId, eventType, schemaVersion: 1, payload }),
  );
  return eventId;
}

describe('ShardLeases', () => {
  it('splits shards fairly between replicas and fences a replica that lost a shard', async () => {
    const a = new ShardLeases(db, 'a', 8, 5000);
    const b = new ShardLeases(db, 'b', 8, 5000);
    const metrics = new RelayMetrics();
    const ka = new LeaseKeeper(a, 8, 5000, logger, metrics, () => undefined);
    const kb = new LeaseKeeper(b, 8, 5000, logger, metrics, () => undefined);
    await a.ensureShards();
    await ka.round();
    expect(ka.usable()).toHaveLength(8);
    await kb.round(); // b joins: 2 replicas, a share of 4; nothing free yet
    await ka.round(); // a drains its 4 highest shards
    expect(ka.usable()).toHaveLength(4);
    await ka.round(); // ... and releases them
    await kb.round();
    expect(kb.usable().map((l) => l.shard)).toEqual([0, 1, 2, 3].map((s) => s + 4));

    // Fencing: acknowledging under a stale epoch deletes nothing.
    const outbox = new OutboxStore(db, 8);
    const conversation = `c-${randomUUID()}`;
    await enqueue(conversation, envelope());
    const leases = [...ka.usable(), ...kb.usable()];
    const [row] = await outbox.pending(
      leases.map((l) => l.shard),
      10,
    );
    const lease = leases.find((l) => l.shard === row.keyHash % 8)!;
    const replica = ka.owns(lease.shard) ? 'a' : 'b';
    expect(
      await outbox.acknowledge(
        [row.id],
        [{ shard: lease.shard, epoch: lease.epoch - 1n }],
        replica,
      ),
    ).toBe(0);
    expect(await outbox.acknowledge([row.id], [lease], replica === 'a' ? 'b' : 'a')).toBe(0);
    expect(await outbox.acknowledge([row.id], [lease], replica)).toBe(1);
    await ka.leave();
    await kb.leave();
  });
});

describe('Relay', () => {
  it('parks an unpublishable row after bounded attempts and keeps publishing the rest', async () => {
    const topic = `relay-test-${randomUUID()}`;
    const metrics = new RelayMetrics();
    const leases = new ShardLeases(db, 'solo', 4, 5000);
    await leases.ensureShards();
    const keeper = new LeaseKeeper(leases, 4, 5000, logger, metrics, () => undefined);
    await keeper.round();
    const outbox = new OutboxStore(db, 4);
    const publisher = new KafkaPublisher(
      {
        brokers,
        clientId: 'relay-test',
        topic,
        topicPartitions: 1,
        topicReplicationFactor: 1,
        requestTimeoutMs: 5000,
      },
      logger,
    );
    const relay = new Relay(outbox, keeper, publisher, metrics, logger, {
      replicaId: 'solo',
      shardCount: 4,
      batchSize: 100,
      pollIntervalMs: 50,
      maxAttempts: 3,
      backoffMinMs: 50,
      backoffMaxMs: 200,
    });
    const conversation = `c-${randomUUID()}`;
    const good1 = await enqueue(conversation, envelope());
    const poison = await enqueue(conversation, Buffer.from([0xff, 0xff, 0xff]));
    const good2 = await enqueue(
      conversation,
      envelope(EventType.EVENT_TYPE_MESSAGE_DELETED),
      EventType.EVENT_TYPE_MESSAGE_DELETED,
    );

    const stop = new AbortController();
    const running = relay.run(stop.signal);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await db.prisma.outboxEvent.count()) > 0)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await running;
    await publisher.disconnect();

    const parked = await db.prisma.outboxDeadLetter.findMany({
      where: { conversationId: conversation },
    });
    expect(parked.map((p) => p.eventId)).toEqual([poison]);
    expect(parked[0].attempts).toBe(3);
    expect(parked[0].errors).toHaveLength(3);

    // Both good events reached Kafka, in order.
    const kafka = new Kafka({ clientId: 'relay-test-reader', brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `g-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(String(message.headers!['event-id'])),
    });
    const until = Date.now() + 20_000;
    while (seen.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    expect(seen).toEqual([good1, good2]);

    // Requeueing (docs/outbox-relay.md) puts the parked row back with a fresh attempt budget.
    expect(await outbox.requeue([parked[0].id])).toBe(1);
    const back = await db.prisma.outboxEvent.findMany({ where: { conversationId: conversation } });
    expect(back.map((r) => [r.eventId, r.attempts])).toEqual([[poison, 0]]);
    expect(
      await db.prisma.outboxDeadLetter.count({ where: { conversationId: conversation } }),
    ).toBe(0);
    expect(await metrics.deadLettered.get()).toMatchObject({ values: [{ value: 1 }] });
    await keeper.leave();
  });
});
