import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Stack } from '@realchat/testing';
import { closedLoop, fmt } from './stats';

const CONVERSATIONS = 100;
// A typical short chat message (60 UTF-8 bytes); capacity math scales it (docs/scaling.md).
const CONTENT = 'see you at the station at 6, I will bring the tickets. ok?';

/**
 * Bytes on disk per message: sends through the real path (gRPC, message-api, the outbox event
 * in the same transaction) with no relay running, so the outbox keeps its rows; then the size of
 * each table with its indexes (pg_total_relation_size) divided by the rows.
 */
export async function storageBench(
  databaseUrl: string,
  seconds: number,
  out: (line: string) => void,
) {
  const stack = await Stack.start({ databaseUrl });
  try {
    const conversations = stack.conversationApi();
    const ids: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++)
      ids.push((await conversations.create(['alice', 'bob'])).conversation!.conversationId);
    const apis = Array.from({ length: 4 }, () => stack.messageApi());
    await closedLoop(8, seconds * 1000, (w) =>
      apis[w % apis.length].send('alice', {
        conversationId: ids[Math.floor(Math.random() * ids.length)],
        senderUserId: 'alice',
        idempotencyKey: randomUUID(),
        content: CONTENT,
      }),
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
