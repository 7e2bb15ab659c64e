import { DomainError, ParticipantRole } from '@realchat/domain';
import { withDatabase } from './db-errors';
import type { PrismaClient } from './generated/prisma/client';

/** Conversation types and roles as stored (realchat.conversation.v1 enum numbers). */
export const ConversationTypeCode = { direct: 1, group: 2 } as const;
export type ConversationKind = keyof typeof ConversationTypeCode;
const ROLE_CODE: Record<ParticipantRole, number> = { member: 1, admin: 2 };
const ROLE_OF_CODE: Record<number, ParticipantRole> = { 1: 'member', 2: 'admin' };

export interface ConversationRecord {
  readonly conversationId: string;
  readonly kind: ConversationKind;
  readonly displayName: string;
  readonly avatarUrl: string;
  readonly createdAt: Date;
  readonly participants: { userId: string; role: ParticipantRole }[];
}

export interface NewConversation {
  readonly conversationId: string;
  readonly kind: ConversationKind;
  readonly displayName: string;
  readonly avatarUrl: string;
  readonly participants: { userId: string; role: ParticipantRole }[];
}

/** The conversation-stub's data: conversations, participants, and sequence counters. */
export class ConversationStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(c: NewConversation): Promise<ConversationRecord> {
    return withDatabase('creating a conversation', async () => {
      try {
        await this.prisma.stubConversation.create({
          data: {
            conversationId: c.conversationId,
            type: ConversationTypeCode[c.kind],
            displayName: c.displayName,
            avatarUrl: c.avatarUrl,
            participants: {
              create: c.participants.map((p) => ({ userId: p.userId, role: ROLE_CODE[p.role] })),
            },
            sequence: { create: { lastSequence: 0n } },
          },
        });
      } catch (e) {
        if ((e as { code?: string }).code === 'P2002') {
          throw new DomainError(
            'already-exists',
            `conversation ${c.conversationId} already exists`,
          );
        }
        throw e;
      }
      return (await this.get(c.conversationId))!;
    });
  }

  async get(conversationId: string): Promise<ConversationRecord | null> {
    return withDatabase('reading a conversation', async () => {
      const row = await this.prisma.stubConversation.findUnique({
        where: { conversationId },
        include: { participants: { orderBy: { joinedAt: 'asc' } } },
      });
      return row ? toRecord(row) : null;
    });
  }

  async listForUser(userId: string): Promise<ConversationRecord[]> {
    return withDatabase('listing conversations', async () => {
      const rows = await this.prisma.stubConversation.findMany({
        where: { participants: { some: { userId } } },
        include: { participants: { orderBy: { joinedAt: 'asc' } } },
        orderBy: { createdAt: 'asc' },
      });
      return rows.map(toRecord);
    });
  }

  /** Adds or updates a participant. */
  async upsertParticipant(
    conversationId: string,
    userId: string,
    role: ParticipantRole,
  ): Promise<void> {
    await withDatabase('adding a participant', () =>
      this.prisma.stubParticipant.upsert({
        where: { conversationId_userId: { conversationId, userId } },
        create: { conversationId, userId, role: ROLE_CODE[role] },
        update: { role: ROLE_CODE[role] },
      }),
    );
  }

  async removeParticipant(conversationId: string, userId: string): Promise<void> {
    await withDatabase('removing a participant', () =>
      this.prisma.stubParticipant.deleteMany({ where: { conversationId, userId } }),
    );
  }

  /**
   * Hands out the next number with one atomic UPDATE ... RETURNING: the row lock serialises
   * concurrent callers and the committed counter survives restarts, so no number is ever handed
   * out twice. Returns null for an unknown conversation.
   */
  async nextSequence(conversationId: string): Promise<number | null> {
    return withDatabase('taking a sequence number', async () => {
      const rows = await this.prisma.$queryRaw<{ last_sequence: bigint }[]>`
        UPDATE stub_sequences SET last_sequence = last_sequence + 1
        WHERE conversation_id = ${conversationId} RETURNING last_sequence`;
      return rows.length ? Number(rows[0].last_sequence) : null;
    });
  }
}

type Row = {
  conversationId: string;
  type: number;
  displayName: string;
  avatarUrl: string;
  createdAt: Date;
  participants: { userId: string; role: number }[];
};

function toRecord(row: Row): ConversationRecord {
  return {
    conversationId: row.conversationId,
    kind: row.type === ConversationTypeCode.direct ? 'direct' : 'group',
    displayName: row.displayName,
    avatarUrl: row.avatarUrl,
    createdAt: row.createdAt,
    participants: row.participants.map((p) => ({
      userId: p.userId,
      role: ROLE_OF_CODE[p.role] ?? 'member',
    })),
  };
}
