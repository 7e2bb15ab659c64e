import { status } from '@grpc/grpc-js';
import {
  DEFAULT_LIMITS,
  DomainError,
  validateDelete,
  validateEdit,
  validateHistory,
  validateSend,
  validateSync,
} from '@realchat/domain';
import {
  DeleteMessageRequest,
  DeletionMode,
  EditMessageRequest,
  ReadHistoryRequest,
  SendMessageRequest,
  SyncMessagesRequest,
} from '@realchat/proto';

/** What the API must answer: a status and, for INVALID_ARGUMENT, the fields it must name. */
export interface Expected {
  readonly code: status;
  readonly fields: string[];
}

export type Method =
  'SendMessage' | 'SyncMessages' | 'DeleteMessage' | 'EditMessage' | 'ReadHistory';

const DECODERS = {
  SendMessage: SendMessageRequest,
  SyncMessages: SyncMessagesRequest,
  DeleteMessage: DeleteMessageRequest,
  EditMessage: EditMessageRequest,
  ReadHistory: ReadHistoryRequest,
};

/** What the model knows of a stored message. */
interface Known {
  readonly sender: string;
  content: string;
  metadataJson: string;
  version: number;
  deleted: boolean;
}

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
 * (send) or the message and the right to delete or edit it, then its state (edit: deleted,
 * version). It remembers what was accepted.
 */
export class MessageApiModel {
  private readonly keys = new Map<string, string>(); // sender/key -> payload hash
  private readonly stored = new Map<string, Known>(); // message id -> what it holds
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
    if (method === 'ReadHistory') return this.history(req as ReadHistoryRequest, user);
    if (method === 'EditMessage') return this.edit(req as EditMessageRequest, user);
    return this.delete(req as DeleteMessageRequest, user);
  }

  /** Records what an accepted call stored (call after the service answered OK). */
  accepted(method: Method, bytes: Uint8Array, messageId: string | undefined): void {
    if (method === 'DeleteMessage') {
      const known = this.stored.get(DeleteMessageRequest.decode(bytes).messageId);
      if (known) known.deleted = true;
      return;
    }
    if (method === 'EditMessage') {
      const req = EditMessageRequest.decode(bytes);
      const known = this.stored.get(req.messageId);
      if (known && known.content !== req.content) known.version++;
      else if (known && known.metadataJson !== req.metadataJson) known.version++;
      if (known) Object.assign(known, { content: req.content, metadataJson: req.metadataJson });
      return;
    }
    if (method !== 'SendMessage' || !messageId) return;
    const req = SendMessageRequest.decode(bytes);
    const draft = validateSend(req, DEFAULT_LIMITS);
    if (
      draft.idempotencyKey !== null &&
      !this.keys.has(`${draft.senderUserId}/${draft.idempotencyKey}`)
    )
      this.keys.set(`${draft.senderUserId}/${draft.idempotencyKey}`, draft.payloadHash);
    if (!this.stored.has(messageId))
      this.stored.set(messageId, {
        sender: draft.senderUserId,
        content: draft.content,
        metadataJson: draft.metadataJson,
        version: 1,
        deleted: false,
      });
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
    const known = this.stored.get(req.messageId);
    if (known === undefined) return answer(status.NOT_FOUND);
    if (known.sender !== user && user !== this.admin) return answer(status.PERMISSION_DENIED);
    return answer(status.OK);
  }

  private history(req: ReadHistoryRequest, user: string): Expected {
    const bad = violations(() => validateHistory(req));
    if (bad) return answer(status.INVALID_ARGUMENT, bad);
    if (req.conversationId !== this.conversationId) return answer(status.NOT_FOUND);
    if (!this.participates(user)) return answer(status.PERMISSION_DENIED);
    return answer(status.OK);
  }

  private edit(req: EditMessageRequest, user: string): Expected {
    const bad = violations(() => validateEdit(req, DEFAULT_LIMITS));
    if (bad) return answer(status.INVALID_ARGUMENT, bad);
    if (req.editorUserId !== user) return answer(status.PERMISSION_DENIED);
    if (req.conversationId !== this.conversationId) return answer(status.NOT_FOUND);
    if (!this.participates(user)) return answer(status.PERMISSION_DENIED);
    const known = this.stored.get(req.messageId);
    if (known === undefined) return answer(status.NOT_FOUND);
    if (known.sender !== user) return answer(status.PERMISSION_DENIED);
    if (known.deleted) return answer(status.FAILED_PRECONDITION);
    const same = known.content === req.content && known.metadataJson === req.metadataJson;
    if (same && req.expectedVersion <= known.version) return answer(status.OK);
    if (req.expectedVersion !== 0 && req.expectedVersion !== known.version)
      return answer(status.ABORTED);
    return answer(status.OK);
  }
}
