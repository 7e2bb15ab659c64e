import { status } from '@grpc/grpc-js';
import {
  DEFAULT_LIMITS,
  DomainError,
  validateDelete,
  validateSend,
  validateSync,
} from '@realchat/domain';
import {
  DeleteMessageRequest,
  DeletionMode,
  SendMessageRequest,
  SyncMessagesRequest,
} from '@realchat/proto';

/** What the API must answer: a status and, for INVALID_ARGUMENT, the fields it must name. */
export interface Expected {
  readonly code: status;
  readonly fields: string[];
}

export type Method = 'SendMessage' | 'SyncMessages' | 'DeleteMessage';

const DECODERS = {
  SendMessage: SendMessageRequest,
  SyncMessages: SyncMessagesRequest,
  DeleteMessage: DeleteMessageRequest,
};

const answer = (code: status, fields: string[] = []): Expected => ({ code, fields });

/** The field names of a domain validation failure, or null when `check` passes. */
function violations(check: () => unknown): string[] | null {
  try {
    check();
    return null;
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'invalid-argument')
      return e.violations.map((v) => v.field);
    throw e;
  }
}

/**
 * A model of the MessageApi for one conversation with `admin` (its ADMIN) and other members:
 * given the bytes of a request and its x-user-id, the status the service must answer. It decodes
 * the bytes with the generated code (as the server does), validates with the domain's own
 * validators, and follows the documented order of checks: decodable, caller named, fields valid,
 * caller is the sender/actor, conversation exists, caller participates, then the idempotency key
 * (send) or the message and the right to delete it (delete). It remembers what was accepted.
 */
export class MessageApiModel {
  private readonly keys = new Map<string, string>(); // sender/key -> payload hash
  private readonly senders = new Map<string, string>(); // message id -> sender
  /** The id of the last message the model expects to exist (for generated deletes). */
  lastMessageId: string | null = null;

  constructor(
    private readonly conversationId: string,
    private readonly admin: string,
    private readonly members: string[],
  ) {}

  expect(method: Method, bytes: Uint8Array, header: string | null): Expected {
    // A header value with surrounding whitespace does not reach the handler as a user (seen:
    // grpc-js over HTTP/2 delivers none), so such a call is unauthenticated.
    const user = header !== null && /^[ \t]|[ \t]$/.test(header) ? null : header;
    let req: unknown;
    try {
      req = DECODERS[method].decode(bytes);
    } catch {
      return answer(status.INVALID_ARGUMENT, ['request']);
    }
    if (!user) return answer(status.UNAUTHENTICATED);
    if (method === 'SendMessage') return this.send(req as SendMessageRequest, user);
    if (method === 'SyncMessages') return this.sync(req as SyncMessagesRequest, user);
    return this.delete(req as DeleteMessageRequest, user);
  }

  /** Records what an accepted send stored (call after the service answered OK). */
  accepted(method: Method, bytes: Uint8Array, messageId: string | undefined): void {
    if (method !== 'SendMessage' || !messageId) return;
    const req = SendMessageRequest.decode(bytes);
    const draft = validateSend(req, DEFAULT_LIMITS);
    if (
      draft.idempotencyKey !== null &&
      !this.keys.has(`${draft.senderUserId}/${draft.idempotencyKey}`)
    )
      this.keys.set(`${draft.senderUserId}/${draft.idempotencyKey}`, draft.payloadHash);
    if (!this.senders.has(messageId)) this.senders.set(messageId, draft.senderUserId);
    this.lastMessageId = messageId;
  }

  private participates(user: string): boolean {
    return user === this.admin || this.members.includes(user);
  }

  private send(req: SendMessageRequest, user: string): Expected {
    const bad = violations(() => validateSend(req, DEFAULT_LIMITS));
    if (bad) return answer(status.INVALID_ARGUMENT, bad);
    if (req.senderUserId !== user) return answer(status.PERMISSION_DENIED);
    if (req.conversationId !== this.conversationId) return answer(status.NOT_FOUND);
    if (!this.participates(user)) return answer(status.PERMISSION_DENIED);
    const draft = validateSend(req, DEFAULT_LIMITS);
    const earlier =
      draft.idempotencyKey === null ? undefined : this.keys.get(`${user}/${draft.idempotencyKey}`);
    if (earlier !== undefined && earlier !== draft.payloadHash)
      return answer(status.ALREADY_EXISTS);
    return answer(status.OK);
  }

  private sync(req: SyncMessagesRequest, user: string): Expected {
    const bad = violations(() => validateSync(req));
    if (bad) return answer(status.INVALID_ARGUMENT, bad);
    if (req.conversationId !== this.conversationId) return answer(status.NOT_FOUND);
    if (!this.participates(user)) return answer(status.PERMISSION_DENIED);
    return answer(status.OK);
  }

  private delete(req: DeleteMessageRequest, user: string): Expected {
    const modes: number[] = [
      DeletionMode.DELETION_MODE_UNSPECIFIED,
      DeletionMode.DELETION_MODE_SOFT,
      DeletionMode.DELETION_MODE_HARD,
    ];
    if (!modes.includes(req.mode)) return answer(status.INVALID_ARGUMENT, ['mode']);
    const bad = violations(() => validateDelete({ ...req, mode: 'soft' }));
    if (bad) return answer(status.INVALID_ARGUMENT, bad);
    if (req.actorUserId !== user) return answer(status.PERMISSION_DENIED);
    if (req.conversationId !== this.conversationId) return answer(status.NOT_FOUND);
    if (!this.participates(user)) return answer(status.PERMISSION_DENIED);
    const sender = this.senders.get(req.messageId);
    if (sender === undefined) return answer(status.NOT_FOUND);
    if (sender !== user && user !== this.admin) return answer(status.PERMISSION_DENIED);
    return answer(status.OK);
  }
}
