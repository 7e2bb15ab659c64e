import type { SyncMessagesResponse } from '@realchat/proto';
import type { MessageApi } from './clients';

/**
 * One client's forward sync of one conversation, as docs/sync-contract.md tells clients to run
 * it, with the checks of the no-skip tests: the cursor never moves back, and no page shows a
 * message or deletion at or below the cursor (a change that commits below a cursor some reader
 * already passed is a change that reader skips for good). `messages` and `deletions` map message
 * ids to the positions seen, for comparing with the committed history at the end.
 */
export class SyncReader {
  cursor = 0;
  readonly messages = new Map<string, number>();
  readonly deletions = new Map<string, number>();
  readonly violations: string[] = [];

  constructor(
    private readonly api: MessageApi,
    private readonly user: string,
    readonly conversationId: string,
    /** 0: the server's default page size. */
    private readonly pageSize = 0,
  ) {}

  /** Reads one page after the cursor and applies it. */
  async step(): Promise<SyncMessagesResponse> {
    const page = await this.api.sync(this.user, {
      conversationId: this.conversationId,
      afterSequence: this.cursor,
      pageSize: this.pageSize,
    });
    for (const m of page.messages) {
      if (m.sequence <= this.cursor)
        this.violations.push(`message ${m.sequence} at or below cursor ${this.cursor}`);
      this.messages.set(m.messageId, m.sequence);
    }
    for (const d of page.deletions) {
      if (d.deletionSequence <= this.cursor)
        this.violations.push(`deletion ${d.deletionSequence} at or below cursor ${this.cursor}`);
      this.deletions.set(d.messageId, d.deletionSequence);
    }
    if (page.nextAfterSequence < this.cursor)
      this.violations.push(`cursor went back from ${this.cursor} to ${page.nextAfterSequence}`);
    this.cursor = Math.max(this.cursor, page.nextAfterSequence);
    return page;
  }

  /** Reads pages until the last one says there is no more. */
  async catchUp(): Promise<void> {
    while ((await this.step()).hasMore);
  }

  /** Messages (id, sequence) sorted by sequence, for comparing readers. */
  sortedMessages(): [string, number][] {
    return [...this.messages.entries()].sort((a, b) => a[1] - b[1]);
  }

  /** Deletions (message id, deletion sequence) sorted by position. */
  sortedDeletions(): [string, number][] {
    return [...this.deletions.entries()].sort((a, b) => a[1] - b[1]);
  }
}
