import {
  DeletionMode,
  MAX_DELETIONS_PER_PAGE,
  MAX_EDITS_PER_PAGE,
  SyncedMessage,
  SyncQuery,
  SyncRead,
} from '@realchat/domain';
import { types } from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { Queryable } from '../database';
import { timestamptzToDate } from './timestamptz-text';

/**
 * The conversation ($1)'s highest committed position: every change (send, deletion, edit)
 * takes one, each found by a backward index scan of its own (conversation_id, x) index.
 */
export const LATEST_SEQUENCE_SQL = `GREATEST(
      (SELECT max(sequence) FROM messages WHERE conversation_id = $1),
      (SELECT max(deletion_sequence) FROM messages WHERE conversation_id = $1),
      (SELECT max(edit_sequence) FROM messages WHERE conversation_id = $1))`;

/**
 * What a sync page needs of a message (SyncedMessage), in the order readSyncPage reads them:
 * not the conversation (the query's), the idempotency key, the payload hash or who deleted it.
 */
const SYNC_COLUMNS =
  'message_id, sender_user_id, sequence, message_type, content, metadata_json, sent_at, ' +
  'deleted_at, deletion_sequence, deletion_mode, version, edited_at, edit_sequence';

// The benchmark (tools/bench) runs this same text in pgbench as the reference.
// $1 conversation, $2 after, $3 page size, $4 most deletions, $5 most edits. The latest position is a column
// of every row (one `latest` row LEFT JOINed to the page), so no row has to list the message
// columns as NULLs by position, and an empty page still returns it.
export const SYNC_PAGE_SQL = `
  WITH m AS (
    SELECT ${SYNC_COLUMNS} FROM messages WHERE conversation_id = $1 AND sequence > $2
    ORDER BY sequence LIMIT $3::int + 1
  ), bound AS (
    SELECT CASE WHEN count(*) > $3::int
           THEN (SELECT sequence FROM m ORDER BY sequence OFFSET $3::int - 1 LIMIT 1) END AS upper
    FROM m
  ), d AS (
    SELECT ${SYNC_COLUMNS} FROM messages, bound
    WHERE conversation_id = $1 AND deletion_sequence > $2
      AND (bound.upper IS NULL OR deletion_sequence <= bound.upper)
    ORDER BY deletion_sequence LIMIT $4::int + 1
  ), e AS (
    SELECT ${SYNC_COLUMNS} FROM messages, bound
    WHERE conversation_id = $1 AND edit_sequence > $2
      AND (bound.upper IS NULL OR edit_sequence <= bound.upper)
    ORDER BY edit_sequence LIMIT $5::int + 1
  ), latest AS (
    SELECT ${LATEST_SEQUENCE_SQL} AS latest_sequence
  ), page AS (
    SELECT 'm' AS kind, * FROM m
    UNION ALL SELECT 'd', * FROM d
    UNION ALL SELECT 'e', * FROM e
  )
  SELECT latest.latest_sequence, page.* FROM latest LEFT JOIN page ON true`;

/**
 * Per-query parsers (pg's `types` option), so the rest of the process keeps pg's defaults:
 * int8 straight to a number (sequences and versions stay below 2^53) instead of a string that is
 * converted again, and timestamptz without postgres-date's RegExp (see parseTimestamptz).
 */
const SYNC_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === types.builtins.INT8) return Number;
    if (oid === types.builtins.TIMESTAMPTZ) return timestamptzToDate;
    return types.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

/** A row of SYNC_PAGE_SQL (rowMode 'array'): latest_sequence, kind, then SYNC_COLUMNS. */
type SyncRow = [
  latestSequence: number | null,
  kind: 'm' | 'd' | 'e' | null,
  id: string,
  senderUserId: string,
  sequence: number,
  messageType: string,
  content: string | null,
  metadataJson: string | null,
  sentAt: Date,
  deletedAt: Date | null,
  deletionSequence: number | null,
  deletionMode: DeletionMode | null,
  version: number,
  editedAt: Date | null,
  editSequence: number | null,
];

/**
 * Reads one page of the change stream in a single statement (one snapshot): the next
 * pageSize + 1 messages, the deletions and edits up to the pageSize-th message, and the latest
 * position. Rows arrive as arrays and become SyncedMessages directly (no row objects, no
 * Message entities: a page is only served, never changed).
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
    rowMode: 'array',
    types: SYNC_TYPES,
  });
  const messages: SyncedMessage[] = [];
  const deletions: SyncedMessage[] = [];
  const edits: SyncedMessage[] = [];
  for (const r of rows) {
    if (r[1] === 'm') messages.push(syncedFromRow(r));
    else if (r[1] === 'd') deletions.push(syncedFromRow(r));
    else if (r[1] === 'e') edits.push(syncedFromRow(r));
  }
  return { messages, deletions, edits, latestSequence: rows[0]?.[0] ?? 0 };
}

/** A message is deleted (edited) when both its time and position are set, as in messageFromRow. */
function syncedFromRow(r: SyncRow): SyncedMessage {
  const deleted = r[9] !== null && r[10] !== null;
  const edited = r[13] !== null && r[14] !== null;
  return {
    id: r[2],
    senderUserId: r[3],
    sequence: r[4],
    messageType: r[5],
    content: r[6],
    metadataJson: r[7],
    sentAt: r[8],
    deletedAt: deleted ? r[9] : null,
    deletionSequence: deleted ? r[10]! : 0,
    deletionMode: deleted ? r[11] : null,
    version: r[12],
    editedAt: edited ? r[13] : null,
    editSequence: edited ? r[14]! : 0,
  };
}
