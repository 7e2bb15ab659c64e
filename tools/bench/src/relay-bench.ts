import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ensureKafkaJars, REPO_ROOT } from '@realchat/infra';
import { Database } from '@realchat/persistence';
import { writeOutboxEvent } from '@realchat/persistence/outbox';
import { EventEnvelope, EventType, MessageSentEvent } from '@realchat/proto';
import { ensureTopic, Stack } from '@realchat/testing';
import { cpuMs, cpuPerOp, fmt, fmtCpu, openLoop, peakRss, percentiles } from './stats';

const BATCH = Number(process.env.BENCH_RELAY_BATCH ?? 500);
/** RELAY_MAX_IN_FLIGHT_BATCHES of the relays (unset: the relay's default). */
const IN_FLIGHT = process.env.BENCH_RELAY_IN_FLIGHT;
const RELAY_ENV: Record<string, string> = {
  RELAY_BATCH_SIZE: String(BATCH),
  ...(IN_FLIGHT ? { RELAY_MAX_IN_FLIGHT_BATCHES: IN_FLIGHT } : {}),
};

function envelope(conversationId: string, sequence: number): Uint8Array {
  const payload = MessageSentEvent.encode({
    message: {
      messageId: randomUUID(),
      conversationId,
      senderUserId: 'alice',
      sequence,
      messageType: 'text',
      content: 'hello from the benchmark',
      metadataJson: '',
      sentAt: new Date(),
      deletedAt: undefined,
      deletionMode: 0,
      version: 1,
      editedAt: undefined,
      editSequence: 0,
    },
  }).finish();
  return EventEnvelope.encode({
    eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
    schemaVersion: 1,
    occurredAt: new Date(),
    payload: Buffer.from(payload),
  }).finish();
}

/**
 * Relay: commit-to-Kafka latency at a steady 500 and 5,000 events/s (the topic uses
 * LogAppendTime, so a record's timestamp is when the broker appended it), the maximum drain rate of a backlog, and
 * Kafka's own ProducerPerformance with the same record size, acks and batch size.
 */
export async function relayBench(
  databaseUrl: string,
  brokers: string,
  seconds: number,
  out: (line: string) => void,
) {
  const topic = `relay-bench-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({
    clientId: 'relay-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  // LogAppendTime: a record's timestamp is when the broker appended it.
  await ensureTopic(kafka, topic, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);

  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const consumer = kafka.consumer({ groupId: `relay-bench-${randomUUID()}`, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = committedAt.get(String(message.headers?.['event-id']));
      if (at !== undefined) latencies.push(Number(message.timestamp) - at);
    },
  });

  const stack = await Stack.start({
    databaseUrl,
    messageApis: 0,
    topic,
    relayEnv: RELAY_ENV,
  });
  const db = new Database({ url: databaseUrl, poolSize: 16 });
  try {
    const relay = await stack.startRelay();
    const conversations = Array.from({ length: 200 }, (_, i) => `relay-bench-${i}`);
    const sequences = new Map<string, number>();
    /** Commits `events` outbox rows (random conversations) in one transaction. */
    const write = async (events: number) => {
      const eventIds: string[] = [];
      await db.transaction(async (tx) => {
        for (let i = 0; i < events; i++) {
          const c = conversations[Math.floor(Math.random() * conversations.length)];
          const seq = (sequences.get(c) ?? 0) + 1;
          sequences.set(c, seq);
          const eventId = randomUUID();
          eventIds.push(eventId);
          await writeOutboxEvent(tx, {
            eventId,
            conversationId: c,
            eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
            schemaVersion: 1,
            payload: envelope(c, seq),
          });
        }
      });
      const at = Date.now();
      for (const id of eventIds) committedAt.set(id, at);
    };
    for (let i = 0; i < 200; i++) await write(1); // warm-up
    await new Promise((r) => setTimeout(r, 1000));

    /**
     * Commit-to-Kafka latency at `rate` events/s, `perTx` events per transaction (one
     * single-event transaction at a time cannot reach 5,000/s on two cores; concurrent
     * transactions on the pool of 16 can, with a few events each). Prints the rate reached
     * and the relay's CPU per event.
     */
    const steady = async (rate: number, perTx: number) => {
      latencies.length = 0;
      let loadSeconds = 0;
      let failed = '';
      let firstError = '';
      const cpu = await cpuPerOp({ 'outbox-relay': relay.pid }, async () => {
        const started = performance.now();
        const load = await openLoop(rate / perTx, seconds * 1000, () =>
          write(perTx).catch((e: unknown) => {
            firstError ||= (e as Error).message;
            throw e;
          }),
        );
        loadSeconds = (performance.now() - started) / 1000;
        failed = `${load.errors} transactions failed${firstError ? ` (${firstError})` : ''}, ${load.skipped} skipped (256 in flight)`;
        const committed = load.count * perTx;
        const until = Date.now() + 10_000;
        while (latencies.length < committed && Date.now() < until)
          await new Promise((r) => setTimeout(r, 50));
        return committed;
      });
      const l = percentiles(latencies);
      out(
        `Relay: commit-to-Kafka at ${fmt(rate)} events/s asked (${perTx} per transaction), ${fmt(cpu.ops / loadSeconds)} events/s committed, for ${seconds} s: p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max, 1)} ms (${fmt(latencies.length)} of ${fmt(cpu.ops)} events on Kafka; ${failed}); ${fmtCpu(cpu)}`,
      );
    };
    await steady(500, 1);
    await steady(5000, Number(process.env.BENCH_RELAY_EVENTS_PER_TX ?? 10));

    // Maximum throughput: stop the relay, commit a backlog, start it and time the drain.
    await relay.stop('SIGTERM');
    const backlog = 50_000;
    const sample = Buffer.from(envelope('relay-bench-x', 1));
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(
      `INSERT INTO outbox (event_id, conversation_id, key_hash, event_type, schema_version, payload)
       SELECT gen_random_uuid(), 'drain-' || (i % 500), (i % 500), 10, 1, $1 FROM generate_series(1, ${backlog}) i`,
      [sample],
    );
    const started = performance.now();
    const second = await stack.startRelay(RELAY_ENV);
    let drainCpuMs = 0;
    const { rssMb } = await peakRss({ 'outbox-relay': second.pid }, async () => {
      for (;;) {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      drainCpuMs = cpuMs(second.pid);
    });
    const drainPerSecond = backlog / ((performance.now() - started) / 1000);
    await client.end();
    out(
      `  drain of a ${fmt(backlog)}-event backlog (batch ${BATCH}, in flight ${IN_FLIGHT ?? 'default'}): ${fmt(drainPerSecond)} events/s, relay peak RSS ${fmt(rssMb['outbox-relay'])} MB, relay CPU ${fmt(drainCpuMs / backlog, 3)} ms/event (both include start-up)`,
    );

    const perfTopic = `perf-${randomUUID().slice(0, 8)}`;
    await ensureTopic(kafka, perfTopic); // the local broker does not auto-create topics
    const perf = producerPerformance(brokers, perfTopic, sample.length, backlog);
    out(
      `  Kafka ProducerPerformance (same record size ${sample.length} B, acks=all, idempotent, 1 in flight, batch.size 65536): ${fmt(perf)} records/s | relay/perf-tool ratio ${fmt((100 * drainPerSecond) / perf)}%`,
    );
    return { drainPerSecond };
  } finally {
    await consumer.disconnect();
    await db.close();
    await stack.stop();
  }
}

/** org.apache.kafka.tools.ProducerPerformance from the Kafka jars; returns records/s. */
function producerPerformance(
  brokers: string,
  topic: string,
  recordSize: number,
  records: number,
): number {
  const libs = ensureKafkaJars();
  const output = execFileSync(
    'java',
    [
      '-Xmx512m',
      `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'tools/infra/kafka/log4j2.properties')}`,
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
      'enable.idempotence=true',
      'max.in.flight.requests.per.connection=1',
      'batch.size=65536',
      'linger.ms=0',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const m = /records sent, ([\d.]+) records\/sec/.exec(output.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`unexpected ProducerPerformance output:\n${output}`);
  return Number(m[1]);
}
