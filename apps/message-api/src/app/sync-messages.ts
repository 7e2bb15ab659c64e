import { buildSyncPage, SyncPage, validateSync } from '@realchat/domain';
import type { MessageStore } from '@realchat/persistence/messages';
import type { ConversationDirectory, RequestContext } from './ports';

/** SyncMessages: one page of a conversation's change stream, for participants only. */
export class SyncMessages {
  constructor(
    private readonly store: MessageStore,
    private readonly conversations: ConversationDirectory,
  ) {}

  async execute(
    input: { conversationId: string; afterSequence: number; pageSize: number },
    ctx: RequestContext,
  ): Promise<SyncPage> {
    const query = validateSync(input);
    const members = await this.conversations.members(query.conversationId, ctx.deadline);
    members.requireParticipant(ctx.userId, 'sync messages');
    return buildSyncPage(query, await this.store.readSync(query));
  }
}
