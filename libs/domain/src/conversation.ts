import { DomainError } from './errors';

export type ParticipantRole = 'member' | 'admin';

/**
 * The numbers of realchat.conversation.v1.ParticipantRole, which the stub also stores: the one
 * mapping between roles and their codes (gRPC client, stub handlers and stub storage use it).
 */
export const PARTICIPANT_ROLE_CODE: Readonly<Record<ParticipantRole, number>> = {
  member: 1,
  admin: 2,
};

/** The role of a code; anything but ADMIN (including UNSPECIFIED) is a plain member. */
export function participantRoleOf(code: number): ParticipantRole {
  return code === PARTICIPANT_ROLE_CODE.admin ? 'admin' : 'member';
}

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
