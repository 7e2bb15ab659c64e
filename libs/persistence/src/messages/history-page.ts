import type { HistoryQuery, HistoryRead } from '@realchat/domain';
import type { Queryable } from '../database';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from './message-mapper';
import { LATEST_SEQUENCE_SQL } from './sync-page';

/** before_sequence of "from the newest": above every sequence (int8 maximum). */
const NEWEST = '9223372036854775807';

// The benchmark (tools/bench) runs this same text in pgbench and EXPLAINs it
// (docs/sync-contract.md "Reading backwards"). $1 conversation, $2 before, $3 page size.
// A backward scan of messages_conversation_id_sequence_key that stops after $3 + 1 rows: the
// cost is the page's, whatever the conversation's length. The latest position is read in the
// same statement, so it is consistent with the page (one snapshot).
export const HISTORY_PAGE_SQL = `
  WITH page AS (
    SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND sequence < $2::int8
    ORDER BY sequence DESC LIMIT $3::int + 1
  ), latest AS (
    SELECT ${LATEST_SEQUENCE_SQL} AS latest_sequence
  )
  SELECT latest.latest_sequence, page.* FROM latest LEFT JOIN page ON true
  ORDER BY page.sequence DESC`;

type HistoryRow = MessageRow & { latest_sequence: string | null };

/** Reads one backward page (newest first) and the latest position, in one statement. */
export async function readHistoryPage(db: Queryable, query: HistoryQuery): Promise<HistoryRead> {
  const { rows } = await db.query<HistoryRow>({
    name: 'history_page',
    text: HISTORY_PAGE_SQL,
    values: [query.conversationId, query.beforeSequence ?? NEWEST, query.pageSize],
  });
  return {
    messages: rows.filter((r) => r.message_id !== null).map(messageFromRow),
    latestSequence: Number(rows[0]?.latest_sequence ?? 0),
  };
}
