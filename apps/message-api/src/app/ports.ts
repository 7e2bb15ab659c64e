import type {
  ConversationMembers,
  DeletionView,
  HistoryQuery,
  HistoryRead,
  Message,
  MessageView,
  SyncQuery,
  SyncRead,
} from '@realchat/domain';
import type { OutboxEventInput } from '@realchat/persistence/outbox';

/**
 * What the use cases need from the world, and nothing more. main.ts assigns the adapters to
 * these types (the PostgreSQL store satisfies them structurally: persistence does not import
 * the app); unit tests use in-memory fakes held to the same contract (test/contract/).
 */

/** The Conversation API as message-api needs it. */
export interface ConversationDirectory {
  /** Participants and roles (may be cached briefly); NOT_FOUND for an unknown conversation. */
  members(conversationId: string, deadline?: Date): Promise<ConversationMembers>;
  /** The conversation's next sequence number. Call only while holding its write lock. */
  nextSequence(conversationId: string, deadline?: Date): Promise<number>;
  /**
   * Up to `count` consecutive numbers in one call (at least one; fewer when the Conversation
   * API predates ranges). Call only while holding the conversation's write lock.
   */
  nextSequences(conversationId: string, count: number, deadline?: Date): Promise<SequenceRange>;
}

/** Consecutive sequence numbers first..last. */
export interface SequenceRange {
  readonly first: number;
  readonly last: number;
}

/** A new message and the event that announces it. */
export interface NewMessage {
  readonly message: Message;
  readonly event: OutboxEventInput;
}

/** What a use case may do while it holds a conversation's write lock. */
export interface ConversationTx {
  /** The messages already stored under any of these (sender, idempotency key) pairs. */
  findByIdempotencyKeys(
    keys: readonly { senderUserId: string; idempotencyKey: string }[],
  ): Promise<Message[]>;
  /** The message if it belongs to this conversation. */
  findMessage(messageId: string): Promise<Message | null>;
  /**
   * Stores new messages with their outbox events, all or none; the events are published in
   * the order given.
   */
  insertMessages(batch: readonly NewMessage[]): Promise<void>;
  /** Stores a message's (new) deletion with its outbox event: both or neither. */
  saveDeletion(message: Message, event: OutboxEventInput): Promise<void>;
  /** Stores a message's (new) edit (content, metadata, version, edit) with its outbox event. */
  saveEdit(message: Message, event: OutboxEventInput): Promise<void>;
}

/** Conversation-scoped write transactions. */
export interface ConversationWrites {
  /**
   * Runs `work` holding the conversation's write lock, in one transaction that commits when
   * `work` resolves and writes nothing when it throws. Writers of one conversation never
   * interleave, on any instance; so commit order is the order numbers were taken in. The
   * deadline bounds the whole transaction, lock wait included (DEADLINE_EXCEEDED).
   */
  inConversation<T>(
    conversationId: string,
    options: { readonly deadline?: Date },
    work: (tx: ConversationTx) => Promise<T>,
  ): Promise<T>;
}

/**
 * Reads of a conversation (the read side: both may be served by a read replica, so neither may
 * be relied on to see a write of this instance at once; each is one snapshot).
 */
export interface SyncPages {
  /** One page (see SyncRead), read in one snapshot. */
  readSync(query: SyncQuery): Promise<SyncRead>;
  /** One backward page (see HistoryRead), read in one snapshot. */
  readHistory(query: HistoryQuery): Promise<HistoryRead>;
}

/** The outbox events of the use cases (their wire format is the gRPC port's business). */
export interface MessageEvents {
  messageSent(message: MessageView, traceparent?: string): OutboxEventInput;
  messageDeleted(
    conversationId: string,
    deletion: DeletionView,
    actorUserId: string,
    traceparent?: string,
  ): OutboxEventInput;
  /** The edited message (its new content, version and edit sequence). */
  messageEdited(message: MessageView, editorUserId: string, traceparent?: string): OutboxEventInput;
}

/** The per-sender limit on sends (abuse protection; see adapters/token-bucket-limiter.ts). */
export interface SendRateLimit {
  /** Takes one send from `senderUserId`'s allowance: 0 if allowed, else ms until one is. */
  take(senderUserId: string): number;
}
