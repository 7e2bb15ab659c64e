import { ConversationMembers, DomainError, ParticipantRole } from '@realchat/domain';
import type { ConversationDirectory, SequenceRange } from '../../src/app/ports';

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
  /** False: answer like a Conversation API that predates NextSequence ranges. */
  rangeSupport = true;
  /** When set, the next numbering call waits for it (holding the caller's lock). */
  gate: Promise<void> | null = null;
  /** When set, the numbering call with this (1-based) index fails with the error, taking none. */
  failCall: { readonly index: number; readonly error: Error } | null = null;

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
    return (await this.nextSequences(conversationId, 1)).first;
  }

  /** Hands out the whole range, or one number when `rangeSupport` is off (an older API). */
  async nextSequences(conversationId: string, count: number): Promise<SequenceRange> {
    if (!this.isLocked(conversationId)) {
      throw new Error(`nextSequence(${conversationId}) without the conversation's write lock`);
    }
    this.nextSequenceCalls.push(conversationId);
    const gate = this.gate;
    this.gate = null;
    if (gate) await gate;
    if (this.failCall?.index === this.nextSequenceCalls.length) throw this.failCall.error;
    const n = this.rangeSupport ? Math.max(count, 1) : 1;
    const first = (this.sequences.get(conversationId) ?? 0) + 1;
    this.sequences.set(conversationId, first + n - 1);
    return { first, last: first + n - 1 };
  }
}
