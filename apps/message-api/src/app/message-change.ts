import { DomainError, Message, ParticipantRole } from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import type { ConversationDirectory, ConversationTx, ConversationWrites } from './ports';

/** Which message a change (a deletion, an edit) is for, and who makes it. */
export interface MessageChangeTarget {
  readonly conversationId: string;
  readonly messageId: string;
  readonly actorUserId: string;
  /** The verb of the error messages: "delete", "edit". */
  readonly verb: string;
}

/**
 * The steps every change to an existing message shares. Before the lock: the caller must be the
 * acting user and a participant. Under the conversation's write lock: the message must exist in
 * that conversation (NOT_FOUND otherwise). Then `change` runs, still under the lock, with the
 * message as committed and the actor's role; it decides the rights and whether anything changes,
 * and takes a number only when something does.
 */
export async function changeMessage<T>(
  ports: { readonly writes: ConversationWrites; readonly conversations: ConversationDirectory },
  target: MessageChangeTarget,
  ctx: CallContext,
  change: (message: Message, role: ParticipantRole, tx: ConversationTx) => Promise<T>,
): Promise<T> {
  const { conversationId, messageId, actorUserId, verb } = target;
  if (actorUserId !== ctx.userId) {
    throw DomainError.permissionDenied(`x-user-id ${ctx.userId} may not ${verb} as ${actorUserId}`);
  }
  const members = await ports.conversations.members(conversationId, ctx.deadline);
  const role = members.requireParticipant(actorUserId, `${verb} messages`);
  return ports.writes.inConversation(conversationId, { deadline: ctx.deadline }, async (tx) => {
    const message = await tx.findMessage(messageId);
    if (!message) {
      throw DomainError.notFound(
        `message ${messageId} not found in conversation ${conversationId}`,
      );
    }
    return change(message, role, tx);
  });
}
