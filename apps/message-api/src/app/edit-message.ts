import {
  editOutcome,
  EditMessageInput,
  MessageLimits,
  MessageView,
  requireMayEdit,
  validateEdit,
} from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import { changeMessage } from './message-change';
import type { ConversationDirectory, ConversationWrites, MessageEvents } from './ports';

/**
 * EditMessage. Like a deletion, an edit takes its own number from the conversation's sequence
 * under the write lock, after every check (so refused edits and retries leave no gaps): a client
 * that synced past the message learns of the edit from sync, in commit order with everything
 * else, and the MESSAGE_EDITED event is written in the same transaction.
 */
export class EditMessage {
  constructor(
    private readonly writes: ConversationWrites,
    private readonly conversations: ConversationDirectory,
    private readonly events: MessageEvents,
    private readonly limits: MessageLimits,
  ) {}

  private get ports() {
    return { writes: this.writes, conversations: this.conversations };
  }

  async execute(input: EditMessageInput, ctx: CallContext): Promise<MessageView> {
    const cmd = validateEdit(input, this.limits);
    const target = { ...cmd, actorUserId: cmd.editorUserId, verb: 'edit' };
    return changeMessage(this.ports, target, ctx, async (message, role, tx) => {
      requireMayEdit(message, cmd.editorUserId, role);
      // Decided under the lock: a concurrent edit from another device has committed first.
      if (editOutcome(message, cmd) === 'unchanged') return message.view();

      const sequence = await this.conversations.nextSequence(cmd.conversationId, ctx.deadline);
      const edited = message.edited(cmd.content, cmd.metadataJson, {
        sequence,
        editedAt: new Date(),
      });
      const view = edited.view();
      await tx.saveEdit(edited, this.events.messageEdited(view, cmd.editorUserId, ctx.traceparent));
      return view;
    });
  }
}
