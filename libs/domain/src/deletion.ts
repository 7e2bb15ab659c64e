import { ParticipantRole } from './conversation';
import { DomainError, Violations } from './errors';
import { checkId, UUID_PATTERN } from './ids';
import { DeletionMode, Message } from './message';

export interface DeleteMessageInput {
  conversationId: string;
  messageId: string;
  actorUserId: string;
  mode: DeletionMode;
}

/** Validates a delete request, reporting every wrong field at once. */
export function validateDelete(input: DeleteMessageInput): DeleteMessageInput {
  const v = new Violations();
  checkId(v, 'conversation_id', input.conversationId);
  checkId(v, 'actor_user_id', input.actorUserId);
  if (input.messageId === '') v.add('message_id', 'is required');
  else if (!UUID_PATTERN.test(input.messageId)) v.add('message_id', 'must be a lowercase UUID');
  v.throwIfAny();
  return input;
}

/** The sender may delete their own message; an ADMIN may delete anyone's. */
export function requireMayDelete(
  message: Message,
  actorUserId: string,
  role: ParticipantRole,
): void {
  if (message.props.senderUserId === actorUserId || role === 'admin') return;
  throw DomainError.permissionDenied(
    `user ${actorUserId} may not delete message ${message.id}: only its sender or an ADMIN may`,
  );
}
