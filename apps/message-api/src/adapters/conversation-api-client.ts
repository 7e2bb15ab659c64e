import { credentials, Metadata, ServiceError, status } from '@grpc/grpc-js';
import { ConversationMembers, DomainError, ParticipantRole } from '@realchat/domain';
import {
  ConversationApiClient,
  GetConversationRequest,
  GetConversationResponse,
  NextSequenceRequest,
  NextSequenceResponse,
  ParticipantRole as ProtoRole,
} from '@realchat/proto';
import type { ConversationDirectory } from '../app/ports';

export interface ConversationApiOptions {
  /** host:port of the Conversation API. */
  readonly address: string;
  /** How long a conversation's members may be served from cache (the staleness bound). */
  readonly membersCacheTtlMs: number;
  /** Deadline for each call when the caller gave none. */
  readonly defaultTimeoutMs: number;
  /** Most conversations kept in the members cache. */
  readonly maxCachedConversations?: number;
}

/**
 * The Conversation API over gRPC (one shared HTTP/2 channel). Members are cached for at most
 * membersCacheTtlMs, so removing a participant takes effect within that bound; concurrent
 * lookups of one conversation share one call.
 */
export class ConversationApiDirectory implements ConversationDirectory {
  private readonly client: ConversationApiClient;
  private readonly cache = new Map<string, { members: ConversationMembers; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<ConversationMembers>>();

  constructor(private readonly options: ConversationApiOptions) {
    this.client = new ConversationApiClient(options.address, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      // Reconnect quickly after the Conversation API comes back.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
  }

  async members(conversationId: string, deadline?: Date): Promise<ConversationMembers> {
    const hit = this.cache.get(conversationId);
    if (hit && hit.expiresAt > Date.now()) return hit.members;
    const pending = this.inFlight.get(conversationId);
    if (pending) return pending;
    const lookup = this.fetchMembers(conversationId, deadline).finally(() =>
      this.inFlight.delete(conversationId),
    );
    this.inFlight.set(conversationId, lookup);
    return lookup;
  }

  private async fetchMembers(
    conversationId: string,
    deadline?: Date,
  ): Promise<ConversationMembers> {
    const res = await call<GetConversationRequest, GetConversationResponse>(
      (req, md, opts, cb) => this.client.getConversation(req, md, opts, cb),
      { conversationId },
      this.deadline(deadline),
      `conversation ${conversationId}`,
    );
    const participants = res.conversation?.participantsWithRoles.length
      ? res.conversation.participantsWithRoles.map((p) => ({
          userId: p.userId,
          role: roleOf(p.role),
        }))
      : res.participantUserIds.map((userId) => ({ userId, role: 'member' as const }));
    const members = ConversationMembers.of(conversationId, participants);
    if (this.cache.size >= (this.options.maxCachedConversations ?? 10_000)) {
      this.cache.delete(this.cache.keys().next().value as string); // oldest entry
    }
    this.cache.set(conversationId, {
      members,
      expiresAt: Date.now() + this.options.membersCacheTtlMs,
    });
    return members;
  }

  async nextSequence(conversationId: string, deadline?: Date): Promise<number> {
    const res = await call<NextSequenceRequest, NextSequenceResponse>(
      (req, md, opts, cb) => this.client.nextSequence(req, md, opts, cb),
      { conversationId },
      this.deadline(deadline),
      `conversation ${conversationId}`,
    );
    return res.sequence;
  }

  private deadline(deadline?: Date): Date {
    const fallback = new Date(Date.now() + this.options.defaultTimeoutMs);
    return deadline && deadline < fallback ? deadline : fallback;
  }

  close(): void {
    this.client.close();
  }
}

function roleOf(role: ProtoRole): ParticipantRole {
  return role === ProtoRole.ADMIN ? 'admin' : 'member';
}

/** One unary call with a deadline; failures become domain errors a client can act on. */
function call<Req, Res>(
  invoke: (
    req: Req,
    md: Metadata,
    opts: { deadline: Date },
    cb: (err: ServiceError | null, res: Res) => void,
  ) => unknown,
  request: Req,
  deadline: Date,
  what: string,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(request, new Metadata(), { deadline }, (err, res) => {
      if (!err) return resolve(res);
      switch (err.code) {
        case status.NOT_FOUND:
          return reject(DomainError.notFound(`${what} not found`));
        case status.DEADLINE_EXCEEDED:
          return reject(
            new DomainError(
              'deadline-exceeded',
              `Conversation API did not answer in time for ${what}`,
            ),
          );
        case status.INVALID_ARGUMENT:
          return reject(DomainError.notFound(`${what} not found (${err.details})`));
        default:
          return reject(
            DomainError.unavailable(
              `Conversation API unavailable (${status[err.code]}: ${err.details}); retry later`,
              err,
            ),
          );
      }
    });
  });
}
