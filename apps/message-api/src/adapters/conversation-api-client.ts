import { Metadata, ServiceError, status } from '@grpc/grpc-js';
import { ConversationMembers, DomainError, participantRoleOf } from '@realchat/domain';
import {
  ConversationApiClient,
  GetConversationRequest,
  GetConversationResponse,
  NextSequenceRequest,
  NextSequenceResponse,
} from '@realchat/proto';
import { type ClientTls, grpcChannelCredentials } from '@realchat/platform';
import type { ConversationDirectory, SequenceRange } from '../app/ports';
import { conversationApiAnswers } from './conversation-api-health';
import {
  MembersCache,
  type MembersCacheObserver,
  type MembershipEventsListener,
} from './members-cache';

export interface ConversationApiOptions {
  /** host:port of the Conversation API. */
  readonly address: string;
  /** TLS to the Conversation API; null or unset: plaintext. */
  readonly tls?: ClientTls | null;
  /**
   * How long a conversation's members may be served from cache (the staleness bound) while
   * MEMBERSHIP_CHANGED events are not live; 0: no cache then.
   */
  readonly membersCacheTtlMs: number;
  /**
   * The TTL of entries filled while the events are live (docs/membership-cache.md); 0 or unset:
   * never (the short TTL always applies). Without membershipEventsTopic the events are never live.
   */
  readonly membersCacheEventTtlMs?: number;
  /**
   * The topic the MEMBERSHIP_CHANGED consumer reads: the long TTL needs the Conversation API to
   * say in GetConversation that it announces changes there.
   */
  readonly membershipEventsTopic?: string;
  /** Events are live only while the consumer fetched within this (default 3000 ms). */
  readonly eventsLivenessMs?: number;
  /** Deadline for each call when the caller gave none (and the longest any call may take). */
  readonly defaultTimeoutMs: number;
  /** Most conversations kept in the members cache (least recently used ones are evicted). */
  readonly maxCachedConversations?: number;
  /** Told about every call and cache lookup (main.ts records them as metrics). */
  readonly observer?: ConversationApiObserver;
}

/** What the directory reports (labels only: never a conversation or user id). */
export interface ConversationApiObserver {
  /** A finished call: RPC name, gRPC status name (OK, UNAVAILABLE...), seconds. */
  readonly call?: (method: string, code: string, seconds: number) => void;
  /** A members lookup answered from the cache (hit) or not (miss). */
  readonly membersLookup?: (result: 'hit' | 'miss') => void;
  /** Evictions and the live / not live transitions of the membership events. */
  readonly membersCache?: MembersCacheObserver;
}

/** Events are not live while a partition of the topic lags by more records than this. */
const EVENTS_MAX_LAG = 1000;

/**
 * The Conversation API over gRPC (one shared HTTP/2 channel). Members are cached for at most
 * membersCacheTtlMs, so removing a participant takes effect within that bound, or, while the
 * MEMBERSHIP_CHANGED consumer feeding `membershipEvents` is live, until a change evicts them
 * (membersCacheEventTtlMs at most); concurrent lookups of one conversation share one call.
 */
export class ConversationApiDirectory implements ConversationDirectory {
  private readonly client: ConversationApiClient;
  /** Members by conversation, least recently used evicted first. */
  private readonly cache: MembersCache;
  private healthCheck: ((timeoutMs: number) => Promise<void>) | null = null;

  constructor(private readonly options: ConversationApiOptions) {
    const transport = grpcChannelCredentials(options.tls ?? null);
    this.client = new ConversationApiClient(options.address, transport.credentials, {
      ...transport.options,
      'grpc.keepalive_time_ms': 30_000,
      // Reconnect quickly after the Conversation API comes back.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
    this.cache = new MembersCache({
      shortTtlMs: options.membersCacheTtlMs,
      eventTtlMs: options.membersCacheEventTtlMs ?? 0,
      livenessMs: options.eventsLivenessMs ?? 3000,
      maxLag: EVENTS_MAX_LAG,
      max: options.maxCachedConversations ?? 10_000,
      observer: options.observer?.membersCache,
    });
  }

  /** Where the MEMBERSHIP_CHANGED consumer reports (adapters/kafka-membership-consumer.ts). */
  get membershipEvents(): MembershipEventsListener {
    return this.cache;
  }

  async members(conversationId: string, deadline?: Date): Promise<ConversationMembers> {
    const hit = this.cache.get(conversationId);
    this.options.observer?.membersLookup?.(hit ? 'hit' : 'miss');
    if (hit) return hit;
    // The shared call runs to the default timeout, not to the deadline of whoever came
    // first: a caller with a short deadline must not cut short the callers that joined.
    const lookup = this.cache.fill(conversationId, () => this.fetchMembers(conversationId));
    // Each caller waits until its own deadline at most.
    return withinDeadline(lookup, this.deadline(deadline), `conversation ${conversationId}`);
  }

  private async fetchMembers(conversationId: string): Promise<ConversationMembers> {
    const res = await this.call<GetConversationRequest, GetConversationResponse>(
      'GetConversation',
      (req, md, opts, cb) => this.client.getConversation(req, md, opts, cb),
      { conversationId },
      this.deadline(),
      `conversation ${conversationId}`,
    );
    // Told before the fill settles, so this very answer gets the TTL it says it deserves.
    if (this.options.membershipEventsTopic)
      this.cache.announcedBy(res.membershipEventsTopic === this.options.membershipEventsTopic);
    const participants = res.conversation?.participantsWithRoles.length
      ? res.conversation.participantsWithRoles.map((p) => ({
          userId: p.userId,
          role: participantRoleOf(p.role),
        }))
      : res.participantUserIds.map((userId) => ({ userId, role: 'member' as const }));
    return ConversationMembers.of(conversationId, participants);
  }

  async nextSequence(conversationId: string, deadline?: Date): Promise<number> {
    return (await this.nextSequences(conversationId, 1, deadline)).last;
  }

  /**
   * Up to `count` consecutive numbers in one call. A Conversation API that predates the range
   * (no first_sequence in its answer) hands out one number; the caller asks again for the rest.
   */
  async nextSequences(
    conversationId: string,
    count: number,
    deadline?: Date,
  ): Promise<SequenceRange> {
    const res = await this.call<NextSequenceRequest, NextSequenceResponse>(
      'NextSequence',
      (req, md, opts, cb) => this.client.nextSequence(req, md, opts, cb),
      { conversationId, count: count > 1 ? count : 0 },
      this.deadline(deadline),
      `conversation ${conversationId}`,
    );
    const first = res.firstSequence > 0 ? res.firstSequence : res.sequence;
    return { first, last: res.sequence };
  }

  /** One call, timed and reported to the observer by method and gRPC status. */
  private call<Req, Res>(method: string, ...args: CallArgs<Req, Res>): Promise<Res> {
    const observe = this.options.observer?.call;
    const started = performance.now();
    return call(...args, (code) => observe?.(method, code, (performance.now() - started) / 1000));
  }

  /** The caller's deadline, capped by the default timeout. */
  private deadline(deadline?: Date): Date {
    const fallback = new Date(Date.now() + this.options.defaultTimeoutMs);
    return deadline && deadline < fallback ? deadline : fallback;
  }

  /** Resolves when the Conversation API answers a health check within `timeoutMs`. */
  answers(timeoutMs: number): Promise<void> {
    this.healthCheck ??= conversationApiAnswers(this.client);
    return this.healthCheck(timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}

/** `shared`, or DEADLINE_EXCEEDED once `deadline` passes (the shared call goes on for others). */
function withinDeadline<T>(shared: Promise<T>, deadline: Date, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(notInTime(what)), Math.max(0, deadline.getTime() - Date.now()));
  });
  return Promise.race([shared, expired]).finally(() => clearTimeout(timer));
}

const notInTime = (what: string) =>
  DomainError.deadlineExceeded(`Conversation API did not answer in time for ${what}`);

type CallArgs<Req, Res> = [
  invoke: (
    req: Req,
    md: Metadata,
    opts: { deadline: Date },
    cb: (err: ServiceError | null, res: Res) => void,
  ) => unknown,
  request: Req,
  deadline: Date,
  what: string,
];

/**
 * One unary call with a deadline; failures become domain errors a client can act on. `done`
 * learns the gRPC status name the call ended with.
 */
function call<Req, Res>(
  ...[invoke, request, deadline, what, done]: [...CallArgs<Req, Res>, (code: string) => void]
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(request, new Metadata(), { deadline }, (err, res) => {
      done(err ? (status[err.code] ?? 'UNKNOWN') : 'OK');
      if (!err) return resolve(res);
      switch (err.code) {
        case status.NOT_FOUND:
          return reject(DomainError.notFound(`${what} not found`));
        case status.DEADLINE_EXCEEDED:
          return reject(notInTime(what));
        case status.INVALID_ARGUMENT:
          // The Conversation API refused the id we passed on: the client's request is at fault.
          return reject(
            DomainError.invalid([
              {
                field: 'conversation_id',
                description: `rejected by the Conversation API: ${err.details}`,
              },
            ]),
          );
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
