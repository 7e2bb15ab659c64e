import { Client } from 'pg';
import { sampleValue, scrapeMetrics, Stack } from '@realchat/testing';
import { anyOf, createConversations, membershipEventsLive, sendOne } from './bench-stack';
import { closedLoop, cpuMs, fmt } from './stats';

const CONVERSATIONS = 100;
// A typical short chat message (60 UTF-8 bytes); capacity math scales it (docs/scaling.md).
const CONTENT = 'see you at the station at 6, I will bring the tickets. ok?';

/**
 * The per-operation costs the capacity math of docs/scaling.md starts from:
 * - CPU ms per SendMessage and per SyncMessages page (100 rows) in message-api and in the
 *   Conversation API stub, from /proc over the whole loop (independent of how loaded the
 *   machine is, unlike throughput);
 * - bytes on disk per message: sends through the real path (gRPC, message-api, the outbox event
 *   in the same transaction) with no relay running, so the outbox keeps its rows; then the size
 *   of each table with its indexes (pg_total_relation_size) divided by the rows.
 */
export async function capacityBench(
  databaseUrl: string,
  seconds: number,
  out: (line: string) => void,
  env: Record<string, string> = {},
) {
  const stack = await Stack.start({ databaseUrl, env });
  try {
    await membershipEventsLive(stack, env);
    out(`capacity: membership events ${env.CONVERSATION_EVENTS_TOPIC ? 'on' : 'off'}`);
    const ids = await createConversations(stack, CONVERSATIONS, 'capacity');
    // One message-api, so that its CPU is all the calls' CPU.
    const apis = Array.from({ length: 4 }, () => stack.messageApi(0));
    const pids = { api: stack.apis[0].pid, stub: stack.stubPid };
    const cpu = () => ({ api: cpuMs(pids.api) / 1000, stub: cpuMs(pids.stub) / 1000 });
    // Steady state: every conversation looked up once before measuring (with the events on, its
    // members stay cached; with the 1 s TTL alone they are gone again a second later).
    for (const id of ids) await sendOne(apis[0], id, CONTENT);
    const lookups = await getConversationCalls(stack.apis[0].port('http'));
    const before = cpu();
    const sent = await closedLoop(8, seconds * 1000, (w) =>
      sendOne(apis[w % apis.length], anyOf(ids), CONTENT),
    );
    const afterSends = cpu();
    const n = sent.count;
    out(
      `CPU per SendMessage over ${fmt(n)} sends (8 clients): message-api ${fmt((1000 * (afterSends.api - before.api)) / n, 3)} ms, conversation-stub ${fmt((1000 * (afterSends.stub - before.stub)) / n, 3)} ms`,
    );
    // The members cache's effect, independent of how loaded the machine is.
    const calls = (await getConversationCalls(stack.apis[0].port('http'))) - lookups;
    out(`  GetConversation calls per SendMessage: ${fmt(calls / n, 3)} (${fmt(calls)} calls)`);
    const synced = await closedLoop(8, seconds * 1000, (w) =>
      apis[w % apis.length].sync('bob', {
        conversationId: ids[w % ids.length],
        afterSequence: 0,
        pageSize: 100,
      }),
    );
    const afterSyncs = cpu();
    const syncs = synced.count;
    out(
      `CPU per SyncMessages call over ${fmt(syncs)} calls (8 clients, pages of up to 100 of ~${fmt(n / CONVERSATIONS)} messages): message-api ${fmt((1000 * (afterSyncs.api - afterSends.api)) / syncs, 3)} ms, conversation-stub ${fmt((1000 * (afterSyncs.stub - afterSends.stub)) / syncs, 3)} ms`,
    );
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('VACUUM ANALYZE messages, outbox');
      const { rows } = await client.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM messages) AS messages,
                pg_relation_size('messages') AS messages_heap,
                pg_indexes_size('messages') AS messages_indexes,
                pg_total_relation_size('messages') AS messages_total,
                (SELECT count(*) FROM outbox) AS outbox,
                pg_total_relation_size('outbox') AS outbox_total,
                (SELECT avg(length(payload)) FROM outbox) AS payload_avg`,
      );
      const r = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
      const per = (bytes: number, n: number) => fmt(bytes / n);
      out(
        `Storage: ${fmt(r.messages)} messages of ${Buffer.byteLength(CONTENT)} content bytes over ${CONVERSATIONS} conversations`,
      );
      out(
        `  messages: ${per(r.messages_total, r.messages)} B/row with indexes (heap ${per(r.messages_heap, r.messages)}, indexes ${per(r.messages_indexes, r.messages)})`,
      );
      out(
        `  outbox (not yet published): ${per(r.outbox_total, r.outbox)} B/row with indexes, payload ${fmt(r.payload_avg)} B`,
      );
    } finally {
      await client.end();
    }
  } finally {
    await stack.stop();
  }
}

/** GetConversation calls message-api has made so far (its conversation_api_client_seconds). */
async function getConversationCalls(httpPort: number): Promise<number> {
  const samples = await scrapeMetrics(httpPort);
  return (
    sampleValue(samples, 'conversation_api_client_seconds_count', {
      method: 'GetConversation',
      code: 'OK',
    }) ?? 0
  );
}
