import { randomUUID } from 'node:crypto';
import { checkId, DomainError, ParticipantRole, Violations } from '@realchat/domain';
import type { MembershipChanged, MembershipEvents } from './membership-events';
import type {
  ConversationKind,
  ConversationRecord,
  ConversationStore,
} from '@realchat/persistence/conversations';

/** Most numbers one NextSequence call may take (realchat.conversation.v1 NextSequenceRequest.count). */
export const MAX_SEQUENCE_RANGE = 1000;

export interface CreateConversationInput {
  conversationId: string;
  kind: ConversationKind | null;
  displayName: string;
  avatarUrl: string;
  participantUserIds: string[];
}

/**
 * The Conversation API's rules, as far as the stub implements them: the first participant of a
 * group is its ADMIN; ADMINs add and remove participants; anyone may leave; direct
 * conversations have exactly two members and no admin.
 */
export class Conversations {
  /**
   * `events`: where membership changes are announced; null when the stub publishes none (no
   * KAFKA_BROKERS), and message-api then relies on its short cache TTL alone.
   */
  constructor(
    private readonly store: ConversationStore,
    private readonly events: MembershipEvents | null = null,
  ) {}

  /** Where every membership change is announced before it is acknowledged; '' when nowhere. */
  get membershipEventsTopic(): string {
    return this.events?.topic ?? '';
  }

  async create(input: CreateConversationInput): Promise<ConversationRecord> {
    const v = new Violations();
    const conversationId = input.conversationId || randomUUID();
    checkId(v, 'conversation_id', conversationId);
    const users = [...new Set(input.participantUserIds)];
    users.forEach((u, i) => checkId(v, `participant_user_ids[${i}]`, u));
    if (users.length === 0) v.add('participant_user_ids', 'must name at least one user');
    const kind = input.kind ?? (users.length === 2 ? 'direct' : 'group');
    if (kind === 'direct' && users.length !== 2)
      v.add('participant_user_ids', 'a DIRECT conversation has exactly two users');
    if (input.displayName.length > 200) v.add('display_name', 'must be at most 200 characters');
    // PostgreSQL text cannot hold U+0000: refused here, it would otherwise fail as INTERNAL.
    else if (input.displayName.includes('\u0000'))
      v.add('display_name', 'must not contain U+0000 (NUL)');
    if (input.avatarUrl.length > 2048) v.add('avatar_url', 'must be at most 2048 characters');
    else if (input.avatarUrl.includes('\u0000'))
      v.add('avatar_url', 'must not contain U+0000 (NUL)');
    v.throwIfAny();
    return this.store.create({
      conversationId,
      kind,
      displayName: input.displayName,
      avatarUrl: input.avatarUrl,
      participants: users.map((userId, i) => ({
        userId,
        role: kind === 'group' && i === 0 ? ('admin' as const) : ('member' as const),
      })),
    });
  }

  async get(conversationId: string): Promise<ConversationRecord> {
    const v = new Violations();
    checkId(v, 'conversation_id', conversationId);
    v.throwIfAny();
    const c = await this.store.get(conversationId);
    if (!c) throw DomainError.notFound(`conversation ${conversationId} not found`);
    return c;
  }

  async list(userId: string): Promise<ConversationRecord[]> {
    const v = new Violations();
    checkId(v, 'user_id', userId);
    v.throwIfAny();
    return this.store.listForUser(userId);
  }

  async addParticipant(
    conversationId: string,
    actor: string,
    target: string,
    role: ParticipantRole,
  ): Promise<void> {
    const c = await this.checkedMembership(conversationId, actor, target);
    if (c.kind === 'direct') {
      throw new DomainError(
        'failed-precondition',
        `conversation ${conversationId} is DIRECT: participants are fixed`,
      );
    }
    this.requireAdmin(c, actor, 'add participants');
    await this.store.upsertParticipant(conversationId, target, role);
    await this.announce({
      conversationId,
      userId: target,
      change: 'added',
      role,
      actorUserId: actor,
    });
  }

  async removeParticipant(conversationId: string, actor: string, target: string): Promise<void> {
    const c = await this.checkedMembership(conversationId, actor, target);
    if (actor !== target) this.requireAdmin(c, actor, 'remove other participants');
    await this.store.removeParticipant(conversationId, target);
    await this.announce({
      conversationId,
      userId: target,
      change: 'removed',
      role: null,
      actorUserId: actor,
    });
  }

  /**
   * Publishes a committed change before the call is answered. The change happens after the
   * commit (an event read before it would make message-api re-read and cache the old members)
   * and the call fails UNAVAILABLE when the event is not durable: the caller retries, the store
   * writes are idempotent (upsert, delete of a row that may be gone) and the retry publishes
   * again. A caller that gives up leaves the change unannounced; message-api's event-backed TTL
   * still bounds how long it is not seen (docs/membership-cache.md).
   */
  private async announce(change: Omit<MembershipChanged, 'changedAt'>): Promise<void> {
    if (!this.events) return;
    try {
      await this.events.published({ ...change, changedAt: new Date() });
    } catch (e) {
      throw DomainError.unavailable(
        `the change to conversation ${change.conversationId} is saved but could not be announced; retry`,
        e,
      );
    }
  }

  /**
   * Hands out the next `count` numbers (0 means 1) as one range: a message-api group commit
   * numbers a whole batch with one call.
   */
  async nextSequence(conversationId: string, count = 1): Promise<{ first: number; last: number }> {
    const v = new Violations();
    checkId(v, 'conversation_id', conversationId);
    if (!Number.isInteger(count) || count < 0 || count > MAX_SEQUENCE_RANGE) {
      v.add('count', `must be between 0 and ${MAX_SEQUENCE_RANGE} (0 means 1), got ${count}`);
    }
    v.throwIfAny();
    const n = Math.max(count, 1);
    const last = await this.store.nextSequence(conversationId, n);
    if (last === null) throw DomainError.notFound(`conversation ${conversationId} not found`);
    return { first: last - n + 1, last };
  }

  private async checkedMembership(
    conversationId: string,
    actor: string,
    target: string,
  ): Promise<ConversationRecord> {
    const v = new Violations();
    checkId(v, 'conversation_id', conversationId);
    checkId(v, 'actor_user_id', actor);
    checkId(v, 'target_user_id', target);
    v.throwIfAny();
    return this.get(conversationId);
  }

  private requireAdmin(c: ConversationRecord, actor: string, action: string): void {
    const role = c.participants.find((p) => p.userId === actor)?.role;
    if (role !== 'admin') {
      throw DomainError.permissionDenied(
        `user ${actor} is not an ADMIN of conversation ${c.conversationId} and may not ${action}`,
      );
    }
  }
}
