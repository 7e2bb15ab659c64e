import { HISTORY_PAGE_SQL } from '@realchat/persistence/messages';
import { Client } from 'pg';
import { Stack } from '@realchat/testing';
import { hasPgbench, pgbench } from './pgbench';
import { closedLoop, fmt } from './stats';

const MESSAGES = 1_000_000;
const PAGE = 50;
const CLIENTS = 4;

/**
 * ReadHistory latency at 1M messages in one conversation: the newest page (opening a
 * conversation) and pages from random depths (scrolling back), through the API and as raw SQL
 * (pgbench), plus the EXPLAIN (ANALYZE, BUFFERS) of both that docs/sync-contract.md shows.
 * One message in 100 is deleted and one in 50 edited, at positions after the last send, so
 * the latest position comes from all three kinds of change.
 */
export async function historyBench(
  databaseUrl: string,
  seconds: number,
  out: (line: string) => void,
): Promise<void> {
  const stack = await Stack.start({ databaseUrl });
  try {
    const { conversation } = await stack.conversationApi().create(['alice', 'bob'], 'history');
    const c = conversation!.conversationId;
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const started = Date.now();
    await client.query(
      `INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type,
                             content, metadata_json, payload_hash, sent_at,
                             deleted_at, deletion_sequence, deletion_mode, deleted_by,
                             version, edited_at, edit_sequence)
       SELECT gen_random_uuid(), $1, 'alice', i, 'text',
              'message number ' || i || ' of the history benchmark', '', md5(i::text), now(),
              CASE WHEN i % 100 = 0 THEN now() END, CASE WHEN i % 100 = 0 THEN ${MESSAGES} + i END,
              CASE WHEN i % 100 = 0 THEN 'soft' END, CASE WHEN i % 100 = 0 THEN 'alice' END,
              CASE WHEN i % 50 = 25 THEN 2 ELSE 1 END,
              CASE WHEN i % 50 = 25 THEN now() END,
              CASE WHEN i % 50 = 25 THEN ${2 * MESSAGES} + i END
       FROM generate_series(1, ${MESSAGES}) i`,
      [c],
    );
    await client.query('VACUUM ANALYZE messages');
    out(
      `ReadHistory: ${fmt(MESSAGES)} messages in one conversation (loaded in ${fmt((Date.now() - started) / 1000, 1)} s)`,
    );
    for (const [label, before] of [
      ['newest page (before_sequence 0)', '9223372036854775807'],
      ['page from the middle (before_sequence 500000)', '500000'],
    ] as const) {
      const sql = HISTORY_PAGE_SQL.replace(/\$1/g, `'${c}'`)
        .replace(/\$2/g, before)
        .replace(/\$3/g, String(PAGE));
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
      );
      out(`  EXPLAIN (ANALYZE, BUFFERS) of the ${label}, page_size ${PAGE}:`);
      for (const r of rows) out(`    ${r['QUERY PLAN']}`);
    }
    await client.end();

    const api = stack.messageApi();
    for (const [label, before] of [
      ['newest page', () => 0],
      ['random depth', () => 1 + Math.floor(Math.random() * MESSAGES)],
    ] as const) {
      const read = () =>
        api.history('bob', { conversationId: c, beforeSequence: before(), pageSize: PAGE });
      await closedLoop(CLIENTS, 1000, read);
      const r = await closedLoop(CLIENTS, seconds * 1000, read);
      const ref = hasPgbench()
        ? pgbench(databaseUrl, historyScript(c, label === 'newest page'), CLIENTS, seconds)
        : NaN;
      out(
        `  ${label}: ${CLIENTS} clients, ${seconds} s: ${fmt(r.perSecond)} pages/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms | raw SQL (pgbench) ${fmt(ref)} pages/s`,
      );
    }
  } finally {
    await stack.stop();
  }
}

/** The statement ReadHistory runs (HISTORY_PAGE_SQL), with a pgbench variable for the cursor. */
function historyScript(c: string, newest: boolean): string {
  const sql = HISTORY_PAGE_SQL.replace(/\$1/g, `'${c}'`)
    .replace(/\$2/g, ':before')
    .replace(/\$3/g, String(PAGE))
    .replace(/\s+/g, ' ');
  const set = newest ? '\\set before 9223372036854775807' : `\\set before random(1, ${MESSAGES})`;
  return `${set}\n${sql};\n`;
}
