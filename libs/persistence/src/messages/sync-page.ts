import {
  MAX_DELETIONS_PER_PAGE,
  MAX_EDITS_PER_PAGE,
  Message,
  SyncQuery,
  SyncRead,
} from '@realchat/domain';
import type { Queryable } from '../database';
import { MESSAGE_COLUMNS, messageFromRow, MessageRow } from './message-mapper';

/**
 * The conversation ($1)'s highest committed position: every change (send, deletion, edit)
 * takes one, each found by a backward index scan of its own (conversation_id, x) index.
 */
export const LATEST_SEQUENCE_SQL = `GREATEST(
      (SELECT max(sequence) FROM messages WHERE conversation_id = $1),
      (SELECT max(deletion_sequence) FROM messages WHERE conversation_id = $1),
      (SELECT max(edit_sequence) FROM messages WHERE conversation_id = $1))`;

// The benchmark (tools/bench) runs this same text in pgbench as the reference.
// $1 conversation, $2 after, $3 page size, $4 most deletions, $5 most edits. The latest position is a column
// of every row (one `latest` row LEFT JOINed to the page), so no row has to list the message
// columns as NULLs by position, and an empty page still returns it.
export const SYNC_PAGE_SQL = `
  WITH m AS (
    SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND sequence > $2
    ORDER BY sequence LIMIT $3::int + 1
  ), bound AS (
    SELECT CASE WHEN count(*) > $3::int
           THEN (SELECT sequence FROM m ORDER BY sequence OFFSET $3::int - 1 LIMIT 1) END AS upper
    FROM m
  ), d AS (
    SELECT messages.* FROM messages, bound
    WHERE conversation_id = $1 AND deletion_sequence > $2
      AND (bound.upper IS NULL OR deletion_sequence <= bound.upper)
    ORDER BY deletion_sequence LIMIT $4::int + 1
  ), e AS (
    SELECT messages.* FROM messages, bound
    WHERE conversation_id = $1 AND edit_sequence > $2
      AND (bound.upper IS NULL OR edit_sequence <= bound.upper)
    ORDER BY edit_sequence LIMIT $5::int + 1
  ), latest AS (
    SELECT ${LATEST_SEQUENCE_SQL} AS latest_sequence
  ), page AS (
    SELECT 'm' AS kind, ${MESSAGE_COLUMNS} FROM m
    UNION ALL SELECT 'd', ${MESSAGE_COLUMNS} FROM d
    UNION ALL SELECT 'e', ${MESSAGE_COLUMNS} FROM e
  )
  SELECT latest.latest_sequence, page.* FROM latest LEFT JOIN page ON true`;

type SyncRow = MessageRow & { kind: 'm' | 'd' | 'e' | null; latest_sequence: string | null };

/**
 * Reads one page of the change stream in a single statement (one snapshot): the next
 * pageSize + 1 messages, the deletions and edits up to the pageSize-th message, and the latest
 * position.
 */
export async function readSyncPage(db: Queryable, query: SyncQuery): Promise<SyncRead> {
  const { rows } = await db.query<SyncRow>({
    name: 'sync_page',
    text: SYNC_PAGE_SQL,
    values: [
      query.conversationId,
      query.afterSequence,
      query.pageSize,
      MAX_DELETIONS_PER_PAGE,
      MAX_EDITS_PER_PAGE,
    ],
  });
  const messages: Message[] = [];
  const deletions: Message[] = [];
  const edits: Message[] = [];
  for (const r of rows) {
    if (r.kind === 'm') messages.push(messageFromRow(r));
    else if (r.kind === 'd') deletions.push(messageFromRow(r));
    else if (r.kind === 'e') edits.push(messageFromRow(r));
  }
  return { messages, deletions, edits, latestSequence: Number(rows[0]?.latest_sequence ?? 0) };
}
