import type { ConversationMembers } from '@realchat/domain';

/** The Conversation API as message-api needs it. */
export interface ConversationDirectory {
  /** Participants and roles (may be cached briefly); NOT_FOUND for an unknown conversation. */
  members(conversationId: string, deadline?: Date): Promise<ConversationMembers>;
  /** The conversation's next sequence number. Call only while holding its write lock. */
  nextSequence(conversationId: string, deadline?: Date): Promise<number>;
}

/** Who is calling and how long they wait. */
export interface RequestContext {
  readonly userId: string;
  readonly deadline?: Date;
  readonly traceparent?: string;
}
