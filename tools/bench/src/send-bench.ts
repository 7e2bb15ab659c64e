import { Client } from 'pg';
import { eventually, outboxSize, Stack, testTopic } from '@realchat/testing';
import { anyOf, createConversations, membershipEventsLive, sendOne } from './bench-stack';
import { hasPgbench, pgbench, sendMessageScript } from './pgbench';
import { closedLoop, cpuPerOp, fmt, fmtCpu, openLoop, peakRss } from './stats';

const CONVERSATIONS = 1000;

/** SendMessage throughput/latency against pgbench running the same SQL, in one run. */
export async function sendBench(
  databaseUrl: string,
  kafkaBrokers: string,
  seconds: number,
  out: (line: string) => void,
  env: Record<string, string> = {},
) {
  const stack = await Stack.start({ databaseUrl, env });
  try {
    await membershipEventsLive(stack, env);
    out(
      `SendMessage: ${CONVERSATIONS} conversations, ${seconds} s per step, membership events ${env.CONVERSATION_EVENTS_TOPIC ? 'on' : 'off'}`,
    );
    const ids = await createConversations(stack, CONVERSATIONS, 'bench');
    await seedPgbenchConversations(databaseUrl);
    const apis = Array.from({ length: 4 }, () => stack.messageApi());
    const send = (w: number) => sendOne(apis[w % apis.length], anyOf(ids));
    await closedLoop(8, 2000, send); // warm-up: JIT, pools, caches

    const pids = { 'message-api': stack.apis[0].pid, 'conversation-stub': stack.stubPid };
    let best = 0;
    const rows: string[] = [];
    const { rssMb } = await peakRss(pids, async () => {
      for (const c of [1, 8, 16, 32]) {
        const cpu = await cpuPerOp(pids, () => closedLoop(c, seconds * 1000, send));
        const r = cpu.result;
        const ref = hasPgbench()
          ? pgbench(databaseUrl, sendMessageScript(CONVERSATIONS, 'pgb-'), c, seconds)
          : NaN;
        best = Math.max(best, r.perSecond);
        rows.push(
          `  ${String(c).padStart(2)} clients: ${fmt(r.perSecond)} sends/s (p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}) | pgbench same SQL ${fmt(ref)} tps | ratio ${fmt((100 * r.perSecond) / ref)}%`,
        );
        out(rows[rows.length - 1]);
        out(`      ${fmtCpu(cpu)}`);
      }
    });
    const half = Math.round(best / 2);
    const r = await openLoop(half, seconds * 1000, (i) => send(i));
    out(
      `  at half the best load (${fmt(half)}/s, open loop): p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}, skipped ${r.skipped}`,
    );
    // The CPU target counts the relay too: the same 8-client load with one relay publishing.
    const relay = await stack.startRelay({
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC: testTopic('bench-send', kafkaBrokers),
    });
    // The backlog of the steps before (no relay ran then) is published first.
    await eventually(
      'the relay to drain the outbox',
      async () => (await outboxSize(databaseUrl)) === 0,
      120_000,
      200,
    );
    const cpu = await cpuPerOp({ ...pids, 'outbox-relay': relay.pid }, () =>
      closedLoop(8, seconds * 1000, send),
    );
    const withRelay = cpu.result;
    out(
      `  8 clients with a relay publishing: ${fmt(withRelay.perSecond)} sends/s (p99 ${fmt(withRelay.p99, 2)} ms) | ${fmtCpu(cpu)}`,
    );
    out(
      `  peak RSS: ${Object.entries(rssMb)
        .map(([k, v]) => `${k} ${fmt(v)} MB`)
        .join(', ')}`,
    );
    return { best };
  } finally {
    await stack.stop();
  }
}

/** Conversations `pgb-1..n` with sequence counters, for pgbench (kept apart from message-api's). */
async function seedPgbenchConversations(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`INSERT INTO stub_conversations (conversation_id, type, display_name, avatar_url)
    SELECT 'pgb-' || i, 2, '', '' FROM generate_series(1, ${CONVERSATIONS}) i ON CONFLICT DO NOTHING`);
  await client.query(
    `INSERT INTO stub_sequences (conversation_id) SELECT 'pgb-' || i FROM generate_series(1, ${CONVERSATIONS}) i ON CONFLICT DO NOTHING`,
  );
  await client.end();
}
