import { buildHistoryPage, HistoryPage, validateHistory } from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import type { ConversationDirectory, SyncPages } from './ports';

/**
 * ReadHistory: a conversation backwards from its newest message or from before a sequence, for
 * participants only. On the same read port as SyncMessages, so it follows sync to a replica.
 */
export class ReadHistory {
  constructor(
    private readonly pages: SyncPages,
    private readonly conversations: ConversationDirectory,
  ) {}

  async execute(
    input: { conversationId: string; beforeSequence: number; pageSize: number },
    ctx: CallContext,
  ): Promise<HistoryPage> {
    const query = validateHistory(input);
    const members = await this.conversations.members(query.conversationId, ctx.deadline);
    members.requireParticipant(ctx.userId, 'read history');
    return buildHistoryPage(query, await this.pages.readHistory(query));
  }
}
