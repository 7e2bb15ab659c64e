import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sendWithDeadline, status } from '@realchat/testing';
import {
  anyOf,
  BENCH_CONTENT,
  createConversations,
  sendOne,
  startStackWithRelay,
} from './bench-stack';
import { closedLoop, cpuPerOp, fmt, fmtCpu, peakRss, percentiles } from './stats';

const OVERLOAD_CONVERSATIONS = 64;
const OVERLOAD_CLIENTS = 300;
/** The deadline of each send in the last overload step, as a gateway with a short budget sets. */
const OVERLOAD_DEADLINE_MS = 250;

/**
 * Contention (issue 9): one busy conversation at 1, 8 and 32 clients on one and on two
 * message-api instances, with its gaps counted afterwards; then 300 clients over 64
 * conversations against the best of 32 clients over the same 64. A relay publishes throughout,
 * so CPU per send covers message-api, the Conversation API and the relay.
 */
export async function hotBench(
  databaseUrl: string,
  kafkaBrokers: string,
  seconds: number,
  out: (line: string) => void,
) {
  const stack = await startStackWithRelay(databaseUrl, kafkaBrokers, 'hot', 2);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const create = async (name: string) => (await createConversations(stack, 1, name))[0];
    const pids = (instances: number): Record<string, number> => ({
      ...Object.fromEntries(
        stack.apis.slice(0, instances).map((a, i) => [`message-api#${i + 1}`, a.pid]),
      ),
      'conversation-stub': stack.stubPid,
      'outbox-relay': stack.relays[0].pid,
    });
    // Two channels per instance, as a gateway with a few connections would use.
    const clients = stack.apis.map((_, i) => [stack.messageApi(i), stack.messageApi(i)]);
    // Worker w's channel: instances alternate, then the two channels of an instance.
    const channel = (instances: number, w: number) =>
      clients[w % instances][Math.floor(w / instances) % 2];
    const sender =
      (instances: number, pick: () => string) =>
      (w: number): Promise<unknown> =>
        sendOne(channel(instances, w), pick());

    const warm = await create('hot-warm-up');
    await closedLoop(
      8,
      2000,
      sender(2, () => warm),
    );

    out(`Hot conversation: all sends to one conversation, ${seconds} s per step`);
    const { rssMb } = await peakRss(pids(2), async () => {
      for (const instances of [1, 2]) {
        for (const c of [1, 8, 32]) {
          const hot = await create(`hot-${instances}-${c}`);
          const cpu = await cpuPerOp(pids(instances), () =>
            closedLoop(
              c,
              seconds * 1000,
              sender(instances, () => hot),
            ),
          );
          const r = cpu.result;
          const gaps = await sequenceGaps(db, hot);
          out(
            `  ${instances} instance${instances > 1 ? 's' : ''}, ${String(c).padStart(2)} clients: ${fmt(r.perSecond)} sends/s (p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}) | gaps ${gaps} | ${fmtCpu(cpu)}`,
          );
        }
      }

      const many = await createConversations(stack, OVERLOAD_CONVERSATIONS, 'overload');
      const pick = () => anyOf(many);
      const best = await closedLoop(32, seconds * 1000, sender(2, pick));
      const over = await closedLoop(OVERLOAD_CLIENTS, seconds * 1000, sender(2, pick));
      out(
        `Overload: ${OVERLOAD_CONVERSATIONS} conversations on 2 instances, ${seconds} s per step`,
      );
      out(
        `  32 clients: ${fmt(best.perSecond)} sends/s (p50 ${fmt(best.p50, 2)} ms, p99 ${fmt(best.p99, 2)} ms, errors ${best.errors})`,
      );
      out(
        `  ${OVERLOAD_CLIENTS} clients: ${fmt(over.perSecond)} sends/s (p50 ${fmt(over.p50, 2)} ms, p99 ${fmt(over.p99, 2)} ms, errors ${over.errors}) | ratio to 32 clients ${fmt((100 * over.perSecond) / best.perSecond)}%`,
      );
      const late = await deadlineBound(db, many, seconds, (w) =>
        sendWithDeadline(
          channel(2, w),
          'alice',
          {
            conversationId: pick(),
            senderUserId: 'alice',
            idempotencyKey: randomUUID(),
            content: BENCH_CONTENT,
          },
          new Date(Date.now() + OVERLOAD_DEADLINE_MS),
        ),
      );
      out(
        `  ${OVERLOAD_CLIENTS} clients, ${OVERLOAD_DEADLINE_MS} ms deadline each: ${fmt(late.okPerSecond)} sends/s succeeded (p99 ${fmt(late.okP99, 2)} ms) | ratio to 32 clients ${fmt((100 * late.okPerSecond) / best.perSecond)}% | DEADLINE_EXCEEDED ${fmt(late.expired)} (answered after p50 ${fmt(late.expiredP50, 2)} ms, p99 ${fmt(late.expiredP99, 2)} ms); written although the client gave up: ${fmt(late.wasted)} | other errors ${JSON.stringify(late.other)}`,
      );
    });
    out(
      `  peak RSS: ${Object.entries(rssMb)
        .map(([k, v]) => `${k} ${fmt(v)} MB`)
        .join(', ')}`,
    );
  } finally {
    await db.end();
    await stack.stop();
  }
}

/**
 * 300 clients whose sends carry a short deadline: how many succeed, how fast the others are told
 * DEADLINE_EXCEEDED, and how many messages the server still wrote for clients that had given up
 * (work wasted on requests that could not finish in time).
 */
async function deadlineBound(
  db: Client,
  conversations: readonly string[],
  seconds: number,
  send: (worker: number) => Promise<{ code: number }>,
) {
  const count = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM messages WHERE conversation_id = ANY($1)',
          [conversations],
        )
      ).rows[0].n,
    );
  const before = await count();
  const ok: number[] = [];
  const expired: number[] = [];
  const other: Record<string, number> = {};
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: OVERLOAD_CLIENTS }, async (_, w) => {
      while (Date.now() < end) {
        const t = performance.now();
        const { code } = await send(w);
        const ms = performance.now() - t;
        if (code === status.OK) ok.push(ms);
        else if (code === status.DEADLINE_EXCEEDED) expired.push(ms);
        else {
          const name = status[code] ?? String(code);
          other[name] = (other[name] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  // Sends still in the server when the loop ended finish or expire within the deadline.
  await new Promise((r) => setTimeout(r, 2 * OVERLOAD_DEADLINE_MS));
  const written = (await count()) - before;
  const e = percentiles(expired);
  return {
    okPerSecond: ok.length / elapsed,
    okP99: percentiles(ok).p99,
    expired: expired.length,
    expiredP50: e.p50,
    expiredP99: e.p99,
    wasted: Math.max(0, written - ok.length),
    other,
  };
}

/** Numbers missing between a conversation's first and last message sequence. */
async function sequenceGaps(db: Client, conversationId: string): Promise<number> {
  const { rows } = await db.query<{ gaps: string }>(
    `SELECT (max(sequence) - min(sequence) + 1 - count(*))::text AS gaps
       FROM messages WHERE conversation_id = $1`,
    [conversationId],
  );
  return Number(rows[0].gaps ?? 0);
}
