import {
  DomainError,
  PARTICIPANT_ROLE_CODE,
  ParticipantRole,
  participantRoleOf,
} from '@realchat/domain';
import { withDatabase } from '../db-errors';
import type { Database } from '../database';

/** Conversation types and roles as stored (realchat.conversation.v1 enum numbers). */
export const ConversationTypeCode = { direct: 1, group: 2 } as const;
export type ConversationKind = keyof typeof ConversationTypeCode;

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
  constructor(private readonly db: Database) {}

  /** Prisma for the model-shaped, low-rate calls (create, list, membership changes). */
  private get prisma() {
    return this.db.prisma;
  }

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
              create: c.participants.map((p) => ({
                userId: p.userId,
                role: PARTICIPANT_ROLE_CODE[p.role],
              })),
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

  /** Hot path (every uncached membership lookup of message-api): one prepared statement. */
  async get(conversationId: string): Promise<ConversationRecord | null> {
    return withDatabase('reading a conversation', async () => {
      const { rows } = await this.db.pool.query<{
        conversation_id: string;
        type: number;
        display_name: string;
        avatar_url: string;
        created_at: Date;
        participants: { userId: string; role: number }[] | null;
      }>({
        name: 'conversation_get',
        text: `SELECT c.conversation_id, c.type, c.display_name, c.avatar_url, c.created_at,
                 (SELECT json_agg(json_build_object('userId', p.user_id, 'role', p.role) ORDER BY p.joined_at, p.user_id)
                  FROM stub_participants p WHERE p.conversation_id = c.conversation_id) AS participants
               FROM stub_conversations c WHERE c.conversation_id = $1`,
        values: [conversationId],
      });
      if (rows.length === 0) return null;
      const r = rows[0];
      return toRecord({
        conversationId: r.conversation_id,
        type: r.type,
        displayName: r.display_name,
        avatarUrl: r.avatar_url,
        createdAt: r.created_at,
        participants: r.participants ?? [],
      });
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
        create: { conversationId, userId, role: PARTICIPANT_ROLE_CODE[role] },
        update: { role: PARTICIPANT_ROLE_CODE[role] },
      }),
    );
  }

  async removeParticipant(conversationId: string, userId: string): Promise<void> {
    await withDatabase('removing a participant', () =>
      this.prisma.stubParticipant.deleteMany({ where: { conversationId, userId } }),
    );
  }

  /**
   * Hands out the next `count` numbers with one atomic UPDATE ... RETURNING (the last of them):
   * the row lock serialises concurrent callers and the committed counter survives restarts, so
   * no number is ever handed out twice. Returns null for an unknown conversation.
   */
  async nextSequence(conversationId: string, count = 1): Promise<number | null> {
    return withDatabase('taking a sequence number', async () => {
      const { rows } = await this.db.pool.query<{ last_sequence: string }>({
        name: 'sequence_next',
        text: 'UPDATE stub_sequences SET last_sequence = last_sequence + $2 WHERE conversation_id = $1 RETURNING last_sequence',
        values: [conversationId, count],
      });
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
      role: participantRoleOf(p.role),
    })),
  };
}
