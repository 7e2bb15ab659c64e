import { ParticipantRole } from './conversation';
import { DomainError, Violations } from './errors';
import { checkId, UUID_PATTERN } from './ids';
import { MessageLimits } from './limits';
import { checkPayload, Message } from './message';

/** What a client asked to edit, before validation. */
export interface EditMessageInput {
  conversationId: string;
  messageId: string;
  editorUserId: string;
  content: string;
  metadataJson: string;
  /** 0: any version; otherwise the edit applies only to this version. */
  expectedVersion: number;
}

/** ErrorInfo reason of an edit refused for its expected_version. */
export const VERSION_MISMATCH = 'VERSION_MISMATCH';

/** Validates an edit request with the rules of a send, reporting every wrong field at once. */
export function validateEdit(input: EditMessageInput, limits: MessageLimits): EditMessageInput {
  const v = new Violations();
  checkId(v, 'conversation_id', input.conversationId);
  checkId(v, 'editor_user_id', input.editorUserId);
  if (input.messageId === '') v.add('message_id', 'is required');
  else if (!UUID_PATTERN.test(input.messageId)) v.add('message_id', 'must be a lowercase UUID');
  checkPayload(v, input.content, input.metadataJson, limits);
  if (!Number.isSafeInteger(input.expectedVersion) || input.expectedVersion < 0) {
    v.add('expected_version', 'must be 0 (any version) or a version >= 1');
  }
  v.throwIfAny();
  return input;
}

/**
 * Only the sender may change what they said; unlike a deletion, not even an ADMIN may put
 * words in someone's mouth. Any participant is told the same, whatever their role.
 */
export function requireMayEdit(
  message: Message,
  editorUserId: string,
  _role: ParticipantRole,
): void {
  if (message.props.senderUserId === editorUserId) return;
  throw DomainError.permissionDenied(
    `user ${editorUserId} may not edit message ${message.id}: only its sender may`,
  );
}

/**
 * What an edit request does to the message as it is now:
 * - `unchanged`: the content and metadata already are the requested ones. That is how a retry
 *   of an edit that succeeded looks (its expected_version is then the version before it), so it
 *   returns the message as it is and writes nothing, whatever expected_version (<= current) says.
 * - `apply`: a real change at the expected version (or any version when none was given).
 * Throws FAILED_PRECONDITION for a deleted message and ABORTED (with the current version) on a
 * version mismatch.
 */
export function editOutcome(message: Message, cmd: EditMessageInput): 'unchanged' | 'apply' {
  const p = message.props;
  if (p.deletion !== null) {
    throw DomainError.failedPrecondition(
      `message ${message.id} was deleted; a deleted message cannot be edited`,
    );
  }
  const current = p.version;
  if (message.hasContent(cmd.content, cmd.metadataJson) && cmd.expectedVersion <= current) {
    return 'unchanged';
  }
  if (cmd.expectedVersion !== 0 && cmd.expectedVersion !== current) {
    throw DomainError.aborted(
      `message ${message.id} is at version ${current}, not ${cmd.expectedVersion}; ` +
        'read it again and decide whether to edit the current version',
      { reason: VERSION_MISMATCH, metadata: { current_version: String(current) } },
    );
  }
  return 'apply';
}
