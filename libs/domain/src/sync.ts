import { Violations } from './errors';
import { checkId } from './ids';
import { DeletionMode, Message, MessageView, visibleContent } from './message';

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
 * A message as a sync read returns it: what clients may be served and the positions the page's
 * cursor is computed from, without the write-side fields (idempotency key, payload hash, who
 * deleted it). Content is as stored: buildSyncPage applies the tombstone rule. The conversation
 * is the query's.
 */
export interface SyncedMessage {
  readonly id: string;
  readonly senderUserId: string;
  readonly sequence: number;
  readonly messageType: string;
  /** null after a hard delete erased it. */
  readonly content: string | null;
  readonly metadataJson: string | null;
  readonly sentAt: Date;
  /** The deletion's time and position; null / 0 while not deleted. */
  readonly deletedAt: Date | null;
  readonly deletionSequence: number;
  readonly deletionMode: DeletionMode | null;
  readonly version: number;
  /** The latest edit's time and position; null / 0 when never edited. */
  readonly editedAt: Date | null;
  readonly editSequence: number;
}

/** A stored message as a sync read returns it (for stores that hold Message entities). */
export function syncedMessage(m: Message): SyncedMessage {
  const p = m.props;
  return {
    id: p.id,
    senderUserId: p.senderUserId,
    sequence: p.sequence,
    messageType: p.messageType,
    content: p.content,
    metadataJson: p.metadataJson,
    sentAt: p.sentAt,
    deletedAt: p.deletion?.deletedAt ?? null,
    deletionSequence: p.deletion?.sequence ?? 0,
    deletionMode: p.deletion?.mode ?? null,
    version: p.version,
    editedAt: p.edit?.editedAt ?? null,
    editSequence: p.edit?.sequence ?? 0,
  };
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
  readonly messages: SyncedMessage[];
  readonly deletions: SyncedMessage[];
  readonly edits: SyncedMessage[];
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

  const lastMessage = messages.at(-1)?.sequence ?? 0;
  const lastDeletion = deleted.at(-1)?.deletionSequence ?? 0;
  const lastEdit = edited.at(-1)?.editSequence ?? 0;
  let next: number;
  if (deletionsCapped || editsCapped) {
    // The cursor stops at the first capped list's end; what the other list holds beyond it
    // is left for the next page, so that the cursor still covers exactly what was returned.
    next = Math.min(deletionsCapped ? lastDeletion : Infinity, editsCapped ? lastEdit : Infinity);
    deleted = deleted.filter((m) => m.deletionSequence <= next);
    edited = edited.filter((m) => m.editSequence <= next);
  } else if (moreMessages) next = lastMessage;
  else next = Math.max(query.afterSequence, lastMessage, lastDeletion, lastEdit);

  const view = (m: SyncedMessage) => viewOfSynced(query.conversationId, m);
  return {
    messages: messages.map(view),
    deletions: deleted.map(toDeletionView),
    edits: edited.map(view),
    nextAfterSequence: next,
    hasMore: deletionsCapped || editsCapped || moreMessages,
    latestSequence: Math.max(read.latestSequence, next),
  };
}

/** What clients may see (as Message.view()): a tombstone once deleted. */
function viewOfSynced(conversationId: string, m: SyncedMessage): MessageView {
  return {
    id: m.id,
    conversationId,
    senderUserId: m.senderUserId,
    sequence: m.sequence,
    messageType: m.messageType,
    ...visibleContent(m.deletedAt !== null, m.content, m.metadataJson),
    sentAt: m.sentAt,
    deletedAt: m.deletedAt,
    deletionMode: m.deletionMode,
    version: m.version,
    editedAt: m.editedAt,
    editSequence: m.editSequence,
  };
}

function toDeletionView(m: SyncedMessage): DeletionView {
  if (!m.deletedAt || m.deletionSequence === 0) {
    throw new Error(`message ${m.id} in the deletions of a page is not deleted`);
  }
  return {
    messageId: m.id,
    deletionSequence: m.deletionSequence,
    deletedAt: m.deletedAt,
    // Every deletion writes its mode in the same UPDATE. A row without one (edited by hand)
    // is still served, as DELETION_MODE_UNSPECIFIED, rather than failing the whole page.
    mode: m.deletionMode as DeletionMode,
    messageSequence: m.sequence,
  };
}
