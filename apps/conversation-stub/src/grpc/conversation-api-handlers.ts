import { DomainError, PARTICIPANT_ROLE_CODE, participantRoleOf } from '@realchat/domain';
import { Authenticator, CallContext, TrustedHeaderAuthenticator, unary } from '@realchat/platform';
import type { ConversationRecord } from '@realchat/persistence/conversations';
import {
  Conversation,
  ConversationApiServer,
  ConversationType,
  ParticipantRole,
} from '@realchat/proto';
import type { Logger } from 'pino';
import type { Conversations } from '../app/conversations';

/**
 * realchat.conversation.v1.ConversationApi: proto -> command -> proto. The admin operations
 * (create, add, remove) name their actor in the request; the authenticated caller must be that
 * actor. In trusted-header mode a call without x-user-id is still taken at its word (today's
 * contract with the gateway); in jwt mode the token's subject must be the actor.
 */
export function conversationApiHandlers(
  conversations: Conversations,
  logger: Logger,
  authenticator: Authenticator = new TrustedHeaderAuthenticator({ required: false }),
): ConversationApiServer {
  /** Refuses a caller who is not `actor` (the field of the request that names it). */
  const actingAs = async (ctx: CallContext, field: string, actor: string | undefined) => {
    const caller = await authenticator.authenticate(ctx);
    if (caller.userId && caller.userId !== actor) {
      throw DomainError.permissionDenied(
        `caller ${caller.userId} may not act as ${field} ${actor ?? '(none)'}`,
      );
    }
  };
  return {
    createConversation: unary('CreateConversation', logger, async (req, ctx) => {
      // The first participant is the creator (and a group's ADMIN).
      await actingAs(ctx, 'participant_user_ids[0]', req.participantUserIds[0]);
      const c = await conversations.create({
        conversationId: req.conversationId,
        kind:
          req.type === ConversationType.DIRECT
            ? 'direct'
            : req.type === ConversationType.GROUP
              ? 'group'
              : null,
        displayName: req.displayName,
        avatarUrl: req.avatarUrl,
        participantUserIds: req.participantUserIds,
      });
      return { conversation: toProto(c) };
    }),
    getConversation: unary('GetConversation', logger, async (req) => {
      const c = await conversations.get(req.conversationId);
      return {
        conversation: toProto(c),
        participantUserIds: c.participants.map((p) => p.userId),
        membershipEventsTopic: conversations.membershipEventsTopic,
      };
    }),
    listConversations: unary('ListConversations', logger, async (req) => ({
      conversations: (await conversations.list(req.userId)).map(toProto),
    })),
    addParticipant: unary('AddParticipant', logger, async (req, ctx) => {
      await actingAs(ctx, 'actor_user_id', req.actorUserId);
      const role = participantRoleOf(req.role);
      await conversations.addParticipant(
        req.conversationId,
        req.actorUserId,
        req.targetUserId,
        role,
      );
      return {};
    }),
    removeParticipant: unary('RemoveParticipant', logger, async (req, ctx) => {
      await actingAs(ctx, 'actor_user_id', req.actorUserId);
      await conversations.removeParticipant(req.conversationId, req.actorUserId, req.targetUserId);
      return {};
    }),
    nextSequence: unary('NextSequence', logger, async (req) => {
      const range = await conversations.nextSequence(req.conversationId, req.count);
      return { sequence: range.last, firstSequence: range.first };
    }),
  };
}

function toProto(c: ConversationRecord): Conversation {
  return {
    conversationId: c.conversationId,
    displayName: c.displayName,
    avatarUrl: c.avatarUrl,
    createdAt: c.createdAt,
    type: c.kind === 'direct' ? ConversationType.DIRECT : ConversationType.GROUP,
    participantUserIds: c.participants.map((p) => p.userId),
    participantsWithRoles: c.participants.map((p) => ({
      userId: p.userId,
      role: PARTICIPANT_ROLE_CODE[p.role] as ParticipantRole,
    })),
  };
}
