import { MAX_DELETIONS_PER_PAGE, MAX_EDITS_PER_PAGE } from '@realchat/domain';
import { SYNC_PAGE_SQL } from '@realchat/persistence/messages';
import { Client } from 'pg';
import { Stack } from '@realchat/testing';
import { hasPgbench, pgbench } from './pgbench';
import { closedLoop, cpuPerOp, fmt, fmtCpu } from './stats';

const MESSAGES = 10_000;
const PAGE = 100;
const CLIENTS = 8;

/** SyncMessages rows/s against the same SQL run by pgbench, in one run. */
export async function syncBench(databaseUrl: string, seconds: number, out: (line: string) => void) {
  const stack = await Stack.start({ databaseUrl });
  try {
    const { conversation } = await stack.conversationApi().create(['alice', 'bob'], 'sync-bench');
    const c = conversation!.conversationId;
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(
      `INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type, content, metadata_json, payload_hash, sent_at)
       SELECT gen_random_uuid(), $1, 'alice', i, 'text', 'message number ' || i || ' of the sync benchmark', '', md5(i::text), now()
       FROM generate_series(1, ${MESSAGES}) i`,
      [c],
    );
    await client.query('ANALYZE messages');
    await client.end();
    const apis = Array.from({ length: 4 }, () => stack.messageApi());
    const sync = (w: number) =>
      apis[w % apis.length].sync('bob', {
        conversationId: c,
        afterSequence: Math.floor(Math.random() * (MESSAGES - PAGE)),
        pageSize: PAGE,
      });
    await closedLoop(CLIENTS, 2000, sync);
    // CPU per call of each process, this client included: it runs on the same cores and decodes
    // every page, so it takes part of the machine the server could otherwise use.
    const cpu = await cpuPerOp(
      { 'message-api': stack.apis[0].pid, 'conversation-stub': stack.stubPid },
      () => closedLoop(CLIENTS, seconds * 1000, sync),
    );
    const r = cpu.result;
    const ref = hasPgbench() ? pgbench(databaseUrl, syncScript(c), CLIENTS, seconds) : NaN;
    out(
      `SyncMessages: ${CLIENTS} clients, pages of ${PAGE} from ${fmt(MESSAGES)} messages, ${seconds} s`,
    );
    out(
      `  ${fmt(r.perSecond * PAGE)} rows/s (${fmt(r.perSecond)} calls/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms) | raw SQL (pgbench) ${fmt(ref * PAGE)} rows/s | ratio ${fmt((100 * r.perSecond) / ref)}%`,
    );
    out(`  ${fmtCpu(cpu)}`);
  } finally {
    await stack.stop();
  }
}

/** The statement SyncMessages runs (SYNC_PAGE_SQL), with pgbench variables for its parameters. */
function syncScript(c: string): string {
  const sql = SYNC_PAGE_SQL.replace(/\$1/g, `'${c}'`)
    .replace(/\$2/g, ':after')
    .replace(/\$3/g, String(PAGE))
    .replace(/\$4/g, String(MAX_DELETIONS_PER_PAGE))
    .replace(/\$5/g, String(MAX_EDITS_PER_PAGE))
    .replace(/\s+/g, ' ');
  return `\\set after random(0, ${MESSAGES - PAGE})\n${sql};\n`;
}
