import { randomUUID } from 'node:crypto';
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxStore, wrapEvent, writeOutboxEvent } from '@realchat/persistence/outbox';
import { createLogger } from '@realchat/platform';
import { EventType } from '@realchat/proto';
import { RelayMetrics } from '../src/metrics';
import { LeaseKeeper } from '../src/relay/lease-keeper';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { ShardsInFlight } from '../src/relay/shards-in-flight';
import { kafkaSink, readTopic } from './support/kafka';
import { enqueue, envelope, eventually, scratchDatabase } from './support/database';

const logger = createLogger('relay-test', 'silent');
let db: Database;

// Each test gets its own database: shard leases and the outbox are shared by every relay of one.
beforeEach(async () => {
  db = await scratchDatabase();
});
afterEach(() => db.close());

function keeper(leases: ShardLeases, shardCount: number, leaseMs: number, metrics: RelayMetrics) {
  const third = Math.floor(leaseMs / 3);
  return new LeaseKeeper(
    leases,
    { shardCount, leaseMs, renewMarginMs: third, roundIntervalMs: third },
    new ShardsInFlight(),
    logger,
    metrics,
  );
}

describe('ShardLeases', () => {
  it('splits shards fairly between replicas and fences a replica that lost a shard', async () => {
    const a = new ShardLeases(db, 'a', 8, 5000);
    const b = new ShardLeases(db, 'b', 8, 5000);
    const metrics = new RelayMetrics();
    const ka = keeper(a, 8, 5000, metrics);
    const kb = keeper(b, 8, 5000, metrics);
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
    await enqueue(db, conversation, envelope());
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
    const outbox = new OutboxStore(db, 4);
    const relay = new OutboxRelay(
      {
        replicaId: 'solo',
        shardCount: 4,
        leaseMs: 5000,
        batchSize: 100,
        pollIntervalMs: 50,
        maxAttempts: 3,
        backoffMinMs: 50,
        backoffMaxMs: 200,
      },
      {
        source: outbox,
        sink: kafkaSink(topic, 'relay-test', logger),
        leases: new ShardLeases(db, 'solo', 4, 5000),
        metrics,
        logger,
      },
    );
    const conversation = `c-${randomUUID()}`;
    const good1 = await enqueue(db, conversation, envelope());
    // The poison row: an event type no record can carry (recordHeaders is null for it).
    const poison = randomUUID();
    await db.transaction((tx) =>
      writeOutboxEvent(tx, {
        ...wrapEvent({
          conversationId: conversation,
          eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
          occurredAt: new Date(),
          payload: Buffer.from('x'),
        }),
        eventId: poison,
        eventType: 9999,
      }),
    );
    const good2 = await enqueue(
      db,
      conversation,
      envelope(EventType.EVENT_TYPE_MESSAGE_DELETED),
      EventType.EVENT_TYPE_MESSAGE_DELETED,
    );

    const running = relay.run();
    await eventually(async () => (await db.prisma.outboxEvent.count()) === 0);
    await relay.close();
    await running;

    const parked = await db.prisma.outboxDeadLetter.findMany({
      where: { conversationId: conversation },
    });
    expect(parked.map((p) => p.eventId)).toEqual([poison]);
    expect(parked[0].attempts).toBe(3);
    expect(parked[0].errors).toHaveLength(3);

    // Both good events reached Kafka, in order.
    const seen = await readTopic(topic, (r) => r.length >= 2);
    expect(seen.map((r) => r.headers['event-id'])).toEqual([good1, good2]);

    // Requeueing (docs/outbox-relay.md) puts the parked row back with a fresh attempt budget.
    expect(await outbox.requeue([parked[0].id])).toBe(1);
    const back = await db.prisma.outboxEvent.findMany({ where: { conversationId: conversation } });
    expect(back.map((r) => [r.eventId, r.attempts])).toEqual([[poison, 0]]);
    expect(
      await db.prisma.outboxDeadLetter.count({ where: { conversationId: conversation } }),
    ).toBe(0);
    expect(await metrics.deadLettered.get()).toMatchObject({ values: [{ value: 1 }] });
  });
});
