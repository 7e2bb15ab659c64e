import { DeletionMode, type Message } from '@realchat/proto';
import type { MessageApi } from './clients';

/** A deletion as the API answered it. */
export interface DeletionRecord {
  readonly conversationId: string;
  readonly messageId: string;
  readonly deletionSequence: number;
  readonly mode: DeletionMode;
  readonly messageSequence: number;
}

interface Own {
  readonly conversationId: string;
  readonly messageId: string;
  readonly sequence: number;
}

/**
 * Real traffic through the MessageApi: writers that send, soft-delete their own messages,
 * hard-delete some of those afterwards and hard-delete some live ones. Every call must succeed
 * (nothing the load touches is meant to fail). It records what the database cannot tell
 * afterwards: a soft deletion that a later hard deletion replaced still had its own event.
 */
export class ChatLoad {
  readonly counts = { sends: 0, softDeletes: 0, hardAfterSoft: 0, hardDeletes: 0 };
  /** Soft deletions later replaced by a hard one, whose events Kafka must still carry. */
  readonly replacedSoftDeletions: DeletionRecord[] = [];
  private stopped = false;

  constructor(
    private readonly apis: MessageApi[],
    private readonly conversations: string[],
    private readonly users: string[],
    /** Runs after each send, before the writer's next call (e.g. a read-your-write probe). */
    private readonly afterSend?: (api: MessageApi, user: string, message: Message) => Promise<void>,
  ) {}

  /** Runs `writers` concurrent writers until stop(); rejects on the first failed call. */
  async run(writers: number): Promise<void> {
    await Promise.all(Array.from({ length: writers }, (_, w) => this.writer(w)));
  }

  stop(): void {
    this.stopped = true;
  }

  private async writer(w: number): Promise<void> {
    const api = this.apis[w % this.apis.length];
    const user = this.users[w % this.users.length];
    const live: Own[] = [];
    const soft: { own: Own; deletion: DeletionRecord }[] = [];
    const pick = <T>(list: T[]) => list.splice(Math.floor(Math.random() * list.length), 1)[0];
    while (!this.stopped) {
      const roll = Math.random();
      if (roll < 0.12 && live.length > 0) {
        const own = pick(live);
        const deletion = await this.delete(api, user, own, DeletionMode.DELETION_MODE_SOFT);
        soft.push({ own, deletion });
        this.counts.softDeletes++;
      } else if (roll < 0.2 && soft.length > 0) {
        const { own, deletion } = pick(soft);
        const hard = await this.delete(api, user, own, DeletionMode.DELETION_MODE_HARD);
        if (hard.deletionSequence <= deletion.deletionSequence)
          throw new Error(
            `hard deletion ${hard.deletionSequence} not after soft ${deletion.deletionSequence}`,
          );
        this.replacedSoftDeletions.push(deletion);
        this.counts.hardAfterSoft++;
      } else if (roll < 0.24 && live.length > 0) {
        await this.delete(api, user, pick(live), DeletionMode.DELETION_MODE_HARD);
        this.counts.hardDeletes++;
      } else {
        const c = this.conversations[Math.floor(Math.random() * this.conversations.length)];
        const { message } = await api.send(user, {
          conversationId: c,
          senderUserId: user,
          content: `from ${user} #${this.counts.sends}`,
        });
        live.push({
          conversationId: c,
          messageId: message!.messageId,
          sequence: message!.sequence,
        });
        this.counts.sends++;
        await this.afterSend?.(api, user, message!);
      }
    }
  }

  private async delete(
    api: MessageApi,
    user: string,
    own: Own,
    mode: DeletionMode,
  ): Promise<DeletionRecord> {
    const { deletion } = await api.delete(user, {
      conversationId: own.conversationId,
      messageId: own.messageId,
      actorUserId: user,
      mode,
    });
    if (deletion?.mode !== mode || deletion.messageSequence !== own.sequence)
      throw new Error(`unexpected deletion answer ${JSON.stringify(deletion)} for mode ${mode}`);
    return {
      conversationId: own.conversationId,
      messageId: own.messageId,
      deletionSequence: deletion.deletionSequence,
      mode,
      messageSequence: own.sequence,
    };
  }
}
