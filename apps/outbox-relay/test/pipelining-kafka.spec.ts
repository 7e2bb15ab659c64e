import { randomUUID } from 'node:crypto';
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxStore } from '@realchat/persistence/outbox';
import { createLogger } from '@realchat/platform';
import { EventType } from '@realchat/proto';
import { RelayMetrics } from '../src/metrics';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { enqueue, envelope, eventually, scratchDatabase } from './support/database';
import { alterTopic, createTopic, kafkaSink, readTopic } from './support/kafka';

/**
 * Pipelining against real PostgreSQL and Kafka (docs/outbox-relay.md "Pipelining"): the broker
 * refuses a batch while the relay has already read the next one; nothing of the later batch
 * may reach Kafka or leave the outbox ahead of the refused one.
 *
 * The broker refuses the batch for a record above the topic's max.message.bytes (a row-level
 * failure: the relay sends one by one, records an attempt and retries the row). A broker-level
 * refusal could not be produced on the shared single broker: Kafka 4.1 accepted acks=all writes
 * to a one-replica topic created with min.insync.replicas 2. The broker-level path is covered
 * over the fakes (pipelining.spec.ts).
 */
const logger = createLogger('pipelining-test', 'silent');
let db: Database;
beforeEach(async () => {
  db = await scratchDatabase('relay_pipe');
});
afterEach(() => db.close());

describe('relay pipelining (PostgreSQL + Kafka)', () => {
  it('a batch the broker refuses while the next one is read ahead: later rows reach Kafka and leave the outbox only after it', async () => {
    const topic = `relay-pipe-${randomUUID()}`;
    await createTopic(topic, 1, { 'max.message.bytes': '2048' });
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const big = envelope(EventType.EVENT_TYPE_MESSAGE_SENT, 4000);
    // a1 b1 | a2 B | a3 b3 | a4 b4, where B (a row of b) is above the topic's limit until the
    // limit is raised below.
    const committed: string[] = [];
    for (let i = 1; i <= 4; i++)
      for (const c of [a, b])
        committed.push(await enqueue(db, c, i === 2 && c === b ? big : envelope()));
    const bigId = committed[3];

    // One shard, batches of two.
    const outbox = new OutboxStore(db, 1);
    const sink = kafkaSink(topic, 'pipelining-test', logger);
    let sending = 0;
    let refused = 0;
    let readAheadDuringRefusedSend = false;
    let readsDuringThisSend = 0;
    const publish = sink.publish.bind(sink);
    sink.publish = async (records) => {
      sending++;
      readsDuringThisSend = 0;
      try {
        return await publish(records);
      } catch (e) {
        refused++;
        if (readsDuringThisSend > 0) readAheadDuringRefusedSend = true;
        throw e;
      } finally {
        sending--;
      }
    };
    const pending = outbox.pending.bind(outbox);
    outbox.pending = async (shards, limit, excluding) => {
      const rows = await pending(shards, limit, excluding);
      if (sending > 0 && rows.length > 0) readsDuringThisSend++;
      return rows;
    };
    const relay = new OutboxRelay(
      {
        replicaId: 'solo',
        shardCount: 1,
        leaseMs: 5000,
        batchSize: 2,
        maxInFlightBatches: 3,
        maxAttempts: 1_000_000, // B is retried, never parked, while we look
        pollIntervalMs: 50,
        backoffMinMs: 50,
        backoffMaxMs: 200,
      },
      {
        source: outbox,
        sink,
        leases: new ShardLeases(db, 'solo', 1, 5000),
        metrics: new RelayMetrics(),
        logger,
      },
    );
    const running = relay.run();
    try {
      expect(
        await eventually(
          async () =>
            ((await db.prisma.outboxEvent.findUnique({ where: { eventId: bigId } }))?.attempts ??
              0) >= 1,
        ),
      ).toBe(true);
      // While B is retried, no later row of b has left the outbox (nor reached Kafka, below).
      const bLater = [bigId, committed[5], committed[7]];
      expect(await db.prisma.outboxEvent.count({ where: { eventId: { in: bLater } } })).toBe(3);
      await alterTopic(topic, { 'max.message.bytes': String(1024 * 1024) });
      expect(
        await eventually(async () => (await db.prisma.outboxEvent.count()) === 0, 30_000),
      ).toBe(true);
    } finally {
      await relay.close();
      await running;
    }

    expect(refused).toBeGreaterThanOrEqual(1);
    // The case under test really happened: a batch was read ahead while a send was refused.
    expect(readAheadDuringRefusedSend).toBe(true);
    const seen = await readTopic(
      topic,
      (r) => new Set(r.map((x) => x.headers['event-id'])).size >= 8,
    );
    // Every event is on Kafka, first published in commit order per conversation; b's later
    // rows only after B (one partition: offset order).
    const firstPublished = (key: string) => [
      ...new Set(seen.filter((r) => r.key === key).map((r) => r.headers['event-id'])),
    ];
    expect(firstPublished(a)).toEqual(committed.filter((_, i) => i % 2 === 0));
    expect(firstPublished(b)).toEqual(committed.filter((_, i) => i % 2 === 1));
  });
});
