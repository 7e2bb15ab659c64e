import { ConversationMembers, DomainError, ParticipantRole } from '@realchat/domain';
import type { ConversationDirectory } from '../../src/app/ports';

/**
 * The Conversation API in memory. Counts the numbers it hands out, and refuses to hand one out
 * unless `isLocked` says the conversation's write lock is held (the ordering rule).
 */
export class FakeDirectory implements ConversationDirectory {
  private readonly conversations = new Map<string, Map<string, ParticipantRole>>();
  private readonly sequences = new Map<string, number>();
  /** Every nextSequence call, in order. */
  readonly nextSequenceCalls: string[] = [];
  membersCalls = 0;

  constructor(private readonly isLocked: (conversationId: string) => boolean = () => true) {}

  add(conversationId: string, participants: Record<string, ParticipantRole>): void {
    this.conversations.set(conversationId, new Map(Object.entries(participants)));
  }

  async members(conversationId: string): Promise<ConversationMembers> {
    this.membersCalls++;
    const roles = this.conversations.get(conversationId);
    if (!roles) throw DomainError.notFound(`conversation ${conversationId} not found`);
    return ConversationMembers.of(
      conversationId,
      [...roles].map(([userId, role]) => ({ userId, role })),
    );
  }

  async nextSequence(conversationId: string): Promise<number> {
    if (!this.isLocked(conversationId)) {
      throw new Error(`nextSequence(${conversationId}) without the conversation's write lock`);
    }
    this.nextSequenceCalls.push(conversationId);
    const next = (this.sequences.get(conversationId) ?? 0) + 1;
    this.sequences.set(conversationId, next);
    return next;
  }
}
