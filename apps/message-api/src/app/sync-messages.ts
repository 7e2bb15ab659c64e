import { buildSyncPage, SyncPage, validateSync } from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import type { ConversationDirectory, SyncPages } from './ports';

/** SyncMessages: one page of a conversation's change stream, for participants only. */
export class SyncMessages {
  constructor(
    private readonly pages: SyncPages,
    private readonly conversations: ConversationDirectory,
  ) {}

  async execute(
    input: { conversationId: string; afterSequence: number; pageSize: number },
    ctx: CallContext,
  ): Promise<SyncPage> {
    const query = validateSync(input);
    const members = await this.conversations.members(query.conversationId, ctx.deadline);
    members.requireParticipant(ctx.userId, 'sync messages');
    return buildSyncPage(query, await this.pages.readSync(query));
  }
}
