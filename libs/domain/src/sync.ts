import { Violations } from './errors';
import { checkId } from './ids';
import { DeletionMode, Message, MessageView } from './message';

/** page_size 0 means this. */
const DEFAULT_PAGE_SIZE = 100;
/** Larger page sizes are clamped to this (not rejected), so clients need not know it. */
const MAX_PAGE_SIZE = 1000;
/**
 * At most this many deletions are returned in one page. Only a conversation with more deletions
 * than this between two messages of one page reaches it; the cursor then stops at the last
 * deletion returned (see docs/sync-contract.md).
 */
export const MAX_DELETIONS_PER_PAGE = 1000;
/** At most this many edits are returned in one page (same reasoning as deletions). */
export const MAX_EDITS_PER_PAGE = 1000;

/** The page_size rule of SyncMessages and ReadHistory. */
export const PAGE_SIZE_RULE = `must be between 0 (default ${DEFAULT_PAGE_SIZE}) and ${MAX_PAGE_SIZE}`;

/** page_size 0 becomes the default; above the maximum is clamped. */
export function clampPageSize(pageSize: number): number {
  return pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
}

export interface SyncQuery {
  readonly conversationId: string;
  readonly afterSequence: number;
  readonly pageSize: number;
}

/** Validates a sync request; page_size 0 becomes the default, above the maximum is clamped. */
export function validateSync(input: {
  conversationId: string;
  afterSequence: number;
  pageSize: number;
}): SyncQuery {
  const v = new Violations();
  checkId(v, 'conversation_id', input.conversationId);
  if (!Number.isSafeInteger(input.afterSequence) || input.afterSequence < 0) {
    v.add('after_sequence', 'must be >= 0');
  }
  if (!Number.isInteger(input.pageSize) || input.pageSize < 0) {
    v.add('page_size', PAGE_SIZE_RULE);
  }
  v.throwIfAny();
  const pageSize = clampPageSize(input.pageSize);
  return { conversationId: input.conversationId, afterSequence: input.afterSequence, pageSize };
}

/** A deletion as it appears in the change stream. */
export interface DeletionView {
  readonly messageId: string;
  readonly deletionSequence: number;
  readonly deletedAt: Date;
  readonly mode: DeletionMode;
  readonly messageSequence: number;
}

export interface SyncPage {
  readonly messages: MessageView[];
  readonly deletions: DeletionView[];
  /** Messages whose latest edit lies in the page's range, by edit sequence. */
  readonly edits: MessageView[];
  readonly nextAfterSequence: number;
  readonly hasMore: boolean;
  readonly latestSequence: number;
}

/**
 * What the store read for a page, in one snapshot:
 * - `messages`: up to pageSize + 1 messages with sequence > after, ascending;
 * - `deletions`: up to MAX_DELETIONS_PER_PAGE + 1 deleted messages with
 *   after < deletion sequence <= the pageSize-th message's sequence (no upper bound when there
 *   are no more messages), ascending by deletion sequence;
 * - `edits`: up to MAX_EDITS_PER_PAGE + 1 messages with after < edit sequence <= the same
 *   bound, ascending by edit sequence;
 * - `latestSequence`: the highest committed position of the conversation.
 */
export interface SyncRead {
  readonly messages: Message[];
  readonly deletions: Message[];
  readonly edits: Message[];
  readonly latestSequence: number;
}

/**
 * Builds a page of the change stream. The cursor covers exactly the positions whose changes are
 * in the page, so a client that passes it back never skips a message or a deletion; and
 * `messages` always holds the next messages after `after`, so old clients that only advance to
 * the largest Message.sequence they saw never loop and never miss a message.
 */
export function buildSyncPage(query: SyncQuery, read: SyncRead): SyncPage {
  const moreMessages = read.messages.length > query.pageSize;
  const messages = read.messages.slice(0, query.pageSize);
  const deletionsCapped = read.deletions.length > MAX_DELETIONS_PER_PAGE;
  const editsCapped = read.edits.length > MAX_EDITS_PER_PAGE;
  let deleted = read.deletions.slice(0, MAX_DELETIONS_PER_PAGE);
  let edited = read.edits.slice(0, MAX_EDITS_PER_PAGE);

  const lastMessage = messages.at(-1)?.props.sequence ?? 0;
  const lastDeletion = deleted.at(-1)?.props.deletion?.sequence ?? 0;
  const lastEdit = edited.at(-1)?.props.edit?.sequence ?? 0;
  let next: number;
  if (deletionsCapped || editsCapped) {
    // The cursor stops at the first capped list's end; what the other list holds beyond it
    // is left for the next page, so that the cursor still covers exactly what was returned.
    next = Math.min(deletionsCapped ? lastDeletion : Infinity, editsCapped ? lastEdit : Infinity);
    deleted = deleted.filter((m) => (m.props.deletion?.sequence ?? 0) <= next);
    edited = edited.filter((m) => (m.props.edit?.sequence ?? 0) <= next);
  } else if (moreMessages) next = lastMessage;
  else next = Math.max(query.afterSequence, lastMessage, lastDeletion, lastEdit);

  return {
    messages: messages.map((m) => m.view()),
    deletions: deleted.map(toDeletionView),
    edits: edited.map((m) => m.view()),
    nextAfterSequence: next,
    hasMore: deletionsCapped || editsCapped || moreMessages,
    latestSequence: Math.max(read.latestSequence, next),
  };
}

function toDeletionView(m: Message): DeletionView {
  const d = m.props.deletion;
  if (!d) throw new Error(`message ${m.id} in the deletions of a page is not deleted`);
  return {
    messageId: m.id,
    deletionSequence: d.sequence,
    deletedAt: d.deletedAt,
    mode: d.mode,
    messageSequence: m.props.sequence,
  };
}
