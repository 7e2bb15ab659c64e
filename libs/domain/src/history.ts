import { Violations } from './errors';
import { checkId } from './ids';
import { Message, MessageView } from './message';
import { clampPageSize, PAGE_SIZE_RULE } from './sync';

export interface HistoryQuery {
  readonly conversationId: string;
  /** Messages with a lower sequence are read; null means from the newest. */
  readonly beforeSequence: number | null;
  readonly pageSize: number;
}

/** Validates a history read: before_sequence 0 means "from the newest". */
export function validateHistory(input: {
  conversationId: string;
  beforeSequence: number;
  pageSize: number;
}): HistoryQuery {
  const v = new Violations();
  checkId(v, 'conversation_id', input.conversationId);
  if (!Number.isSafeInteger(input.beforeSequence) || input.beforeSequence < 0) {
    v.add('before_sequence', 'must be >= 0 (0 reads from the newest message)');
  }
  if (!Number.isInteger(input.pageSize) || input.pageSize < 0) {
    v.add('page_size', PAGE_SIZE_RULE);
  }
  v.throwIfAny();
  return {
    conversationId: input.conversationId,
    beforeSequence: input.beforeSequence === 0 ? null : input.beforeSequence,
    pageSize: clampPageSize(input.pageSize),
  };
}

/**
 * What the store read, in one snapshot: up to pageSize + 1 messages with sequence < before,
 * DESCENDING, in their current state; and the conversation's highest committed position.
 */
export interface HistoryRead {
  readonly messages: Message[];
  readonly latestSequence: number;
}

export interface HistoryPage {
  /** Newest first. */
  readonly messages: MessageView[];
  /** The oldest sequence of the page: the next page reads before it. */
  readonly nextBeforeSequence: number;
  readonly hasOlder: boolean;
  readonly latestSequence: number;
}

/** Builds a backward page: the (pageSize + 1)-th row only tells that older messages exist. */
export function buildHistoryPage(query: HistoryQuery, read: HistoryRead): HistoryPage {
  const messages = read.messages.slice(0, query.pageSize);
  return {
    messages: messages.map((m) => m.view()),
    nextBeforeSequence: messages.at(-1)?.props.sequence ?? query.beforeSequence ?? 0,
    hasOlder: read.messages.length > query.pageSize,
    latestSequence: read.latestSequence,
  };
}
