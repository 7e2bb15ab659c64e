import type { ParticipantRole } from '@realchat/domain';

/** One committed change of a conversation's participants. */
export interface MembershipChanged {
  readonly conversationId: string;
  readonly userId: string;
  /** `added` also covers a role set on an existing participant (AddParticipant upserts). */
  readonly change: 'added' | 'removed';
  /** The role after an `added` change; null after `removed`. */
  readonly role: ParticipantRole | null;
  readonly actorUserId: string;
  readonly changedAt: Date;
}

/**
 * Where membership changes are announced (adapters/kafka-membership-events.ts). `published`
 * resolves once the event is durable (acks=all) and rejects otherwise: the change is not
 * acknowledged to its caller before that (docs/membership-cache.md).
 */
export interface MembershipEvents {
  /** The topic the events go to (told to GetConversation callers). */
  readonly topic: string;
  published(event: MembershipChanged): Promise<void>;
}
