import {
  DeleteMessageInput,
  DeletionView,
  requireMayDelete,
  validateDelete,
} from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import { changeMessage } from './message-change';
import type { ConversationDirectory, ConversationWrites, MessageEvents } from './ports';

/**
 * DeleteMessage. A deletion takes its own number from the conversation's sequence (under the
 * write lock, after every check), so sync clients learn of it even when they already synced
 * past the message. Deleting again is a no-op without an event, except hard over soft, which
 * erases the kept content and is announced once more.
 */
export class DeleteMessage {
  constructor(
    private readonly writes: ConversationWrites,
    private readonly conversations: ConversationDirectory,
    private readonly events: MessageEvents,
  ) {}

  private get ports() {
    return { writes: this.writes, conversations: this.conversations };
  }

  async execute(input: DeleteMessageInput, ctx: CallContext): Promise<DeletionView> {
    const cmd = validateDelete(input);
    const target = { ...cmd, verb: 'delete' };
    return changeMessage(this.ports, target, ctx, async (message, role, tx) => {
      requireMayDelete(message, cmd.actorUserId, role);
      if (!message.needsDeletion(cmd.mode)) return deletionOf(message.props);

      const sequence = await this.conversations.nextSequence(cmd.conversationId, ctx.deadline);
      const deleted = message.deleted({
        sequence,
        deletedAt: new Date(),
        mode: cmd.mode,
        actorUserId: cmd.actorUserId,
      });
      const deletion = deletionOf(deleted.props);
      await tx.saveDeletion(
        deleted,
        this.events.messageDeleted(cmd.conversationId, deletion, cmd.actorUserId, ctx.traceparent),
      );
      return deletion;
    });
  }
}

function deletionOf(p: {
  id: string;
  sequence: number;
  deletion: { sequence: number; deletedAt: Date; mode: 'soft' | 'hard' } | null;
}): DeletionView {
  if (!p.deletion) throw new Error(`message ${p.id} has no deletion`);
  return {
    messageId: p.id,
    deletionSequence: p.deletion.sequence,
    deletedAt: p.deletion.deletedAt,
    mode: p.deletion.mode,
    messageSequence: p.sequence,
  };
}
