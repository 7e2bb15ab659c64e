import { Client } from 'pg';
import { anyOf, createConversations, sendOne, startStackWithRelay } from './bench-stack';
import { closedLoop, cpuPerOp, fmt, fmtCpu, peakRss } from './stats';

const OVERLOAD_CONVERSATIONS = 64;
const OVERLOAD_CLIENTS = 300;

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
    const sender =
      (instances: number, pick: () => string) =>
      (w: number): Promise<unknown> =>
        sendOne(clients[w % instances][Math.floor(w / instances) % 2], pick());

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
          let r!: Awaited<ReturnType<typeof closedLoop>>;
          const cpu = await cpuPerOp(pids(instances), async () => {
            r = await closedLoop(
              c,
              seconds * 1000,
              sender(instances, () => hot),
            );
            return Math.round(r.perSecond * seconds);
          });
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

/** Numbers missing between a conversation's first and last message sequence. */
async function sequenceGaps(db: Client, conversationId: string): Promise<number> {
  const { rows } = await db.query<{ gaps: string }>(
    `SELECT (max(sequence) - min(sequence) + 1 - count(*))::text AS gaps
       FROM messages WHERE conversation_id = $1`,
    [conversationId],
  );
  return Number(rows[0].gaps ?? 0);
}
