import { createHash } from 'node:crypto';
import { Violations } from './errors';
import { checkId } from './ids';
import {
  DEFAULT_MESSAGE_TYPE,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MESSAGE_TYPE_PATTERN,
  MessageLimits,
} from './limits';

export type DeletionMode = 'soft' | 'hard';

/** A deletion as recorded on the message: it has its own place in the conversation's sequence. */
export interface DeletionRecord {
  readonly sequence: number;
  readonly deletedAt: Date;
  readonly mode: DeletionMode;
  readonly actorUserId: string;
}

/** An edit as recorded on the message: the latest edit's own place in the sequence. */
export interface EditRecord {
  readonly sequence: number;
  readonly editedAt: Date;
}

/** What a client asked to send, before validation. */
export interface SendMessageInput {
  conversationId: string;
  senderUserId: string;
  idempotencyKey: string;
  messageType: string;
  content: string;
  metadataJson: string;
}

/** A validated send that has no id or sequence yet. */
export interface MessageDraft {
  readonly conversationId: string;
  readonly senderUserId: string;
  /** null when the client sent no idempotency key: every such call creates a new message. */
  readonly idempotencyKey: string | null;
  readonly messageType: string;
  readonly content: string;
  readonly metadataJson: string;
  /** sha256 of (message_type, content, metadata_json): tells a true retry from a reused key. */
  readonly payloadHash: string;
}

export interface MessageProps extends Omit<MessageDraft, 'content' | 'metadataJson'> {
  readonly id: string;
  readonly sequence: number;
  readonly sentAt: Date;
  /** null after a hard delete erased it. */
  readonly content: string | null;
  readonly metadataJson: string | null;
  readonly deletion: DeletionRecord | null;
  /** 1 as sent, +1 per edit. */
  readonly version: number;
  /** The latest edit; null when never edited. */
  readonly edit: EditRecord | null;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Validates a send request, reporting every wrong field at once. */
export function validateSend(input: SendMessageInput, limits: MessageLimits): MessageDraft {
  const v = new Violations();
  checkId(v, 'conversation_id', input.conversationId);
  checkId(v, 'sender_user_id', input.senderUserId);
  if (input.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    v.add('idempotency_key', `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  } else if (/[^\x21-\x7e]/.test(input.idempotencyKey)) {
    v.add('idempotency_key', 'must be printable ASCII without spaces');
  }
  const messageType = input.messageType === '' ? DEFAULT_MESSAGE_TYPE : input.messageType;
  if (!MESSAGE_TYPE_PATTERN.test(messageType)) {
    v.add('message_type', 'must match ^[a-z][a-z0-9_.-]{0,31}$ (e.g. text, image)');
  }
  checkPayload(v, input.content, input.metadataJson, limits);
  v.throwIfAny();
  return {
    conversationId: input.conversationId,
    senderUserId: input.senderUserId,
    idempotencyKey: input.idempotencyKey === '' ? null : input.idempotencyKey,
    messageType,
    content: input.content,
    metadataJson: input.metadataJson,
    payloadHash: payloadHash(messageType, input.content, input.metadataJson),
  };
}

/** The rules of content and metadata_json, shared by SendMessage and EditMessage. */
export function checkPayload(
  v: Violations,
  content: string,
  metadataJson: string,
  limits: MessageLimits,
): void {
  if (content.trim() === '') v.add('content', 'must not be empty');
  else if (utf8Bytes(content) > limits.maxContentBytes) {
    v.add('content', `must be at most ${limits.maxContentBytes} bytes of UTF-8`);
  } else if (content.includes('\u0000')) {
    // Valid UTF-8 that PostgreSQL text cannot store: refused here, it would fail the INSERT
    // (SQLSTATE 22021) and reach the client as INTERNAL. metadata_json cannot carry it: JSON
    // forbids raw control characters, and an escaped \u0000 is six plain characters.
    v.add('content', 'must not contain U+0000 (NUL)');
  }
  if (metadataJson !== '') checkMetadata(v, metadataJson, limits);
}

function checkMetadata(v: Violations, json: string, limits: MessageLimits): void {
  if (utf8Bytes(json) > limits.maxMetadataBytes) {
    v.add('metadata_json', `must be at most ${limits.maxMetadataBytes} bytes of UTF-8`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    v.add('metadata_json', 'must be valid JSON');
    return;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    v.add('metadata_json', 'must be a JSON object');
  }
}

function payloadHash(messageType: string, content: string, metadataJson: string): string {
  // Length-prefixed fields, so that ("ab","c") and ("a","bc") differ.
  const h = createHash('sha256');
  for (const part of [messageType, content, metadataJson]) h.update(`${part.length}:${part};`);
  return h.digest('hex');
}

/** A stored message. Deleted messages stay as tombstones so that sync can tell clients. */
export class Message {
  private constructor(readonly props: MessageProps) {}

  /** A new message from a validated draft and the number the Conversation API handed out. */
  static create(draft: MessageDraft, id: string, sequence: number, sentAt: Date): Message {
    return new Message({ ...draft, id, sequence, sentAt, deletion: null, version: 1, edit: null });
  }

  /** A message the database already holds (not re-validated). */
  static fromRow(props: MessageProps): Message {
    return new Message(props);
  }

  get id(): string {
    return this.props.id;
  }

  /** True when `draft` repeats this message's payload (a retry, not a reused key). */
  hasSamePayload(draft: MessageDraft): boolean {
    return this.props.payloadHash === draft.payloadHash;
  }

  /**
   * What a delete request changes: nothing when already deleted (or soft over soft/hard);
   * a hard delete of a soft-deleted message erases the kept content and is a new event.
   */
  needsDeletion(mode: DeletionMode): boolean {
    const current = this.props.deletion;
    if (current === null) return true;
    return current.mode === 'soft' && mode === 'hard';
  }

  /** The message after a deletion at `sequence`; hard deletion erases content and metadata. */
  deleted(deletion: DeletionRecord): Message {
    const hard = deletion.mode === 'hard';
    return new Message({
      ...this.props,
      content: hard ? null : this.props.content,
      metadataJson: hard ? null : this.props.metadataJson,
      deletion,
    });
  }

  /** True when the message's current content and metadata are exactly these. */
  hasContent(content: string, metadataJson: string): boolean {
    return this.props.content === content && (this.props.metadataJson ?? '') === metadataJson;
  }

  /**
   * The message after an edit at `edit.sequence`: new content and metadata, the next version.
   * The earlier content is not kept anywhere (docs/sync-contract.md "Edits"), so a hard delete
   * later has only the current content to erase. payload_hash stays the send's: it identifies
   * the send for its idempotency key, so a retried send still returns this message.
   */
  edited(content: string, metadataJson: string, edit: EditRecord): Message {
    return new Message({
      ...this.props,
      content,
      metadataJson,
      version: this.props.version + 1,
      edit,
    });
  }

  /** What clients may see: a tombstone (no content, no metadata) once deleted. */
  view(): MessageView {
    const p = this.props;
    return {
      id: p.id,
      conversationId: p.conversationId,
      senderUserId: p.senderUserId,
      sequence: p.sequence,
      messageType: p.messageType,
      ...visibleContent(p.deletion !== null, p.content, p.metadataJson),
      sentAt: p.sentAt,
      deletedAt: p.deletion?.deletedAt ?? null,
      deletionMode: p.deletion?.mode ?? null,
      version: p.version,
      editedAt: p.edit?.editedAt ?? null,
      editSequence: p.edit?.sequence ?? 0,
    };
  }
}

/**
 * The content and metadata clients may see: none once the message is deleted (a tombstone),
 * whatever the row still holds. The one place of this rule (Message.view(), sync pages).
 */
export function visibleContent(
  deleted: boolean,
  content: string | null,
  metadataJson: string | null,
): { content: string; metadataJson: string } {
  return deleted
    ? { content: '', metadataJson: '' }
    : { content: content ?? '', metadataJson: metadataJson ?? '' };
}

/** A message as served to clients. */
export interface MessageView {
  readonly id: string;
  readonly conversationId: string;
  readonly senderUserId: string;
  readonly sequence: number;
  readonly messageType: string;
  readonly content: string;
  readonly metadataJson: string;
  readonly sentAt: Date;
  readonly deletedAt: Date | null;
  readonly deletionMode: DeletionMode | null;
  readonly version: number;
  readonly editedAt: Date | null;
  /** Position of the latest edit; 0 when never edited. */
  readonly editSequence: number;
}
