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

/**
 * The conversation-stub's data: conversations, participants, and sequence counters.
 *
 * Every call is SQL on the shared node-postgres pool, none goes through Prisma: Prisma's first
 * query loads its WebAssembly query compiler, which held ~90 MB of the stub's resident memory
 * (docs/benchmarks.md "Memory: after (issue 9)"). Prisma stays the schema and migration tool.
 */
export class ConversationStore {
  constructor(private readonly db: Database) {}

  /**
   * One statement, so atomic without a transaction: the conversation, its participants and its
   * sequence counter (at 0). The participants' foreign key is checked at the end of the
   * statement, when the conversation row exists. A taken id is 'already-exists'.
   */
  async create(c: NewConversation): Promise<ConversationRecord> {
    return withDatabase('creating a conversation', async () => {
      let rows: ConversationRow[];
      try {
        ({ rows } = await this.db.pool.query<ConversationRow>({
          name: 'conversation_create',
          text: `WITH c AS (
                   INSERT INTO stub_conversations (conversation_id, type, display_name, avatar_url)
                   VALUES ($1, $2, $3, $4)
                   RETURNING conversation_id, type, display_name, avatar_url, created_at),
                 p AS (
                   INSERT INTO stub_participants (conversation_id, user_id, role)
                   SELECT c.conversation_id, u.user_id, u.role
                   FROM c, unnest($5::text[], $6::int[]) AS u(user_id, role)
                   RETURNING user_id, role, joined_at),
                 s AS (
                   INSERT INTO stub_sequences (conversation_id, last_sequence)
                   SELECT conversation_id, 0 FROM c)
               SELECT c.*,
                 (SELECT ${PARTICIPANTS_JSON}
                  FROM p) AS participants
               FROM c`,
          values: [
            c.conversationId,
            ConversationTypeCode[c.kind],
            c.displayName,
            c.avatarUrl,
            c.participants.map((p) => p.userId),
            c.participants.map((p) => PARTICIPANT_ROLE_CODE[p.role]),
          ],
        }));
      } catch (e) {
        const err = e as { code?: string; constraint?: string };
        if (err.code === UNIQUE_VIOLATION && err.constraint === 'stub_conversations_pkey') {
          throw new DomainError(
            'already-exists',
            `conversation ${c.conversationId} already exists`,
          );
        }
        throw e;
      }
      return fromRow(rows[0]);
    });
  }

  /** Hot path (every uncached membership lookup of message-api): one prepared statement. */
  async get(conversationId: string): Promise<ConversationRecord | null> {
    return withDatabase('reading a conversation', async () => {
      const { rows } = await this.db.pool.query<ConversationRow>({
        name: 'conversation_get',
        text: `${SELECT_CONVERSATIONS} WHERE c.conversation_id = $1`,
        values: [conversationId],
      });
      return rows.length ? fromRow(rows[0]) : null;
    });
  }

  /** The user's conversations, oldest first, each with its participants in joining order. */
  async listForUser(userId: string): Promise<ConversationRecord[]> {
    return withDatabase('listing conversations', async () => {
      const { rows } = await this.db.pool.query<ConversationRow>({
        name: 'conversation_list_for_user',
        text: `${SELECT_CONVERSATIONS}
               WHERE EXISTS (SELECT 1 FROM stub_participants m
                             WHERE m.conversation_id = c.conversation_id AND m.user_id = $1)
               ORDER BY c.created_at, c.conversation_id`,
        values: [userId],
      });
      return rows.map(fromRow);
    });
  }

  /** Adds a participant, or changes the role of one already there (keeping when they joined). */
  async upsertParticipant(
    conversationId: string,
    userId: string,
    role: ParticipantRole,
  ): Promise<void> {
    await withDatabase('adding a participant', () =>
      this.db.pool.query({
        name: 'participant_upsert',
        text: `INSERT INTO stub_participants (conversation_id, user_id, role) VALUES ($1, $2, $3)
               ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        values: [conversationId, userId, PARTICIPANT_ROLE_CODE[role]],
      }),
    );
  }

  /** Removes a participant; removing one who is not there is not an error. */
  async removeParticipant(conversationId: string, userId: string): Promise<void> {
    await withDatabase('removing a participant', () =>
      this.db.pool.query({
        name: 'participant_remove',
        text: 'DELETE FROM stub_participants WHERE conversation_id = $1 AND user_id = $2',
        values: [conversationId, userId],
      }),
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

const UNIQUE_VIOLATION = '23505';

/** A conversation's participants as JSON, in joining order (the row of `p`). */
const PARTICIPANTS_JSON = `json_agg(json_build_object('userId', p.user_id, 'role', p.role) ORDER BY p.joined_at, p.user_id)`;

/**
 * Conversations with their participants as one JSON array, in joining order (ties, such as the
 * participants created with the conversation, by user id), so a conversation is one row.
 */
const SELECT_CONVERSATIONS = `SELECT c.conversation_id, c.type, c.display_name, c.avatar_url, c.created_at,
    (SELECT ${PARTICIPANTS_JSON}
     FROM stub_participants p WHERE p.conversation_id = c.conversation_id) AS participants
  FROM stub_conversations c`;

type ConversationRow = {
  conversation_id: string;
  type: number;
  display_name: string;
  avatar_url: string;
  created_at: Date;
  participants: { userId: string; role: number }[] | null;
};

function fromRow(r: ConversationRow): ConversationRecord {
  return {
    conversationId: r.conversation_id,
    kind: r.type === ConversationTypeCode.direct ? 'direct' : 'group',
    displayName: r.display_name,
    avatarUrl: r.avatar_url,
    createdAt: r.created_at,
    participants: (r.participants ?? []).map((p) => ({
      userId: p.userId,
      role: participantRoleOf(p.role),
    })),
  };
}
