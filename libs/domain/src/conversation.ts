import { DomainError } from './errors';

export type ParticipantRole = 'member' | 'admin';

/** Who belongs to a conversation, with their roles, as the Conversation API reports it. */
export class ConversationMembers {
  private constructor(
    readonly conversationId: string,
    private readonly roles: ReadonlyMap<string, ParticipantRole>,
  ) {}

  static of(
    conversationId: string,
    participants: Iterable<{ userId: string; role: ParticipantRole }>,
  ): ConversationMembers {
    return new ConversationMembers(
      conversationId,
      new Map([...participants].map((p) => [p.userId, p.role] as const)),
    );
  }

  roleOf(userId: string): ParticipantRole | undefined {
    return this.roles.get(userId);
  }

  /** Throws PERMISSION_DENIED unless `userId` is a participant; returns the role. */
  requireParticipant(userId: string, action: string): ParticipantRole {
    const role = this.roles.get(userId);
    if (!role) {
      throw DomainError.permissionDenied(
        `user ${userId} is not a participant of conversation ${this.conversationId} and may not ${action}`,
      );
    }
    return role;
  }
}
