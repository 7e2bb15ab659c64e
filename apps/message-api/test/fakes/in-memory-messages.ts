import {
  DomainError,
  HistoryQuery,
  HistoryRead,
  MAX_DELETIONS_PER_PAGE,
  MAX_EDITS_PER_PAGE,
  Message,
  syncedMessage,
  SyncQuery,
  SyncRead,
} from '@realchat/domain';
import type { OutboxEventInput } from '@realchat/persistence/outbox';
import type { ConversationTx, ConversationWrites, SyncPages } from '../../src/app/ports';

/**
 * The message store in memory, for use case tests. Held to the same contract as the PostgreSQL
 * adapter (test/contract/message-store.contract.ts): one writer per conversation at a time,
 * all-or-nothing transactions, the same sync page.
 */
export class InMemoryMessages implements ConversationWrites, SyncPages {
  /** Committed messages by id. */
  readonly messages = new Map<string, Message>();
  /** Committed outbox events, in commit order. */
  readonly events: OutboxEventInput[] = [];
  private readonly locks = new Map<string, Promise<void>>();
  private readonly held = new Set<string>();

  /** True while a transaction of the conversation runs (the fake directory checks it). */
  isLocked(conversationId: string): boolean {
    return this.held.has(conversationId);
  }

  async inConversation<T>(
    conversationId: string,
    options: { readonly deadline?: Date },
    work: (tx: ConversationTx) => Promise<T>,
  ): Promise<T> {
    const expired = () => options.deadline && Date.now() >= options.deadline.getTime();
    if (expired()) throw DomainError.deadlineExceeded('deadline passed before the write began');
    const previous = this.locks.get(conversationId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.locks.set(conversationId, tail);
    await previous;
    this.held.add(conversationId);
    try {
      if (expired()) throw DomainError.deadlineExceeded('deadline passed waiting for the lock');
      const staged = new Map<string, Message>();
      const events: OutboxEventInput[] = [];
      const current = (id: string) => staged.get(id) ?? this.messages.get(id);
      const inConversation = () =>
        [...new Map([...this.messages, ...staged]).values()].filter(
          (m) => m.props.conversationId === conversationId,
        );
      const result = await work({
        findByIdempotencyKeys: async (keys) =>
          inConversation().filter((m) =>
            keys.some(
              (k) =>
                m.props.senderUserId === k.senderUserId &&
                m.props.idempotencyKey === k.idempotencyKey,
            ),
          ),
        findMessage: async (id) => {
          const m = current(id);
          return m && m.props.conversationId === conversationId ? m : null;
        },
        insertMessages: async (batch) => {
          // One statement in PostgreSQL: check every row (against each other too), then stage.
          const seen = inConversation();
          for (const { message } of batch) {
            const p = message.props;
            const clash = seen.some(
              (m) =>
                m.id === p.id ||
                m.props.sequence === p.sequence ||
                (p.idempotencyKey !== null &&
                  m.props.senderUserId === p.senderUserId &&
                  m.props.idempotencyKey === p.idempotencyKey),
            );
            if (clash || this.messages.has(p.id)) throw new Error(`duplicate message ${p.id}`);
            seen.push(message);
          }
          for (const { message, event } of batch) {
            staged.set(message.id, message);
            events.push(event);
          }
        },
        saveDeletion: async (message, event) => {
          if (!message.props.deletion) throw new Error(`message ${message.id} is not deleted`);
          if (!current(message.id)) throw new Error(`no message ${message.id}`);
          staged.set(message.id, message);
          events.push(event);
        },
        saveEdit: async (message, event) => {
          if (!message.props.edit) throw new Error(`message ${message.id} is not edited`);
          if (!current(message.id)) throw new Error(`no message ${message.id}`);
          staged.set(message.id, message);
          events.push(event);
        },
      });
      for (const [id, m] of staged) this.messages.set(id, m);
      this.events.push(...events);
      return result;
    } finally {
      this.held.delete(conversationId);
      release();
      if (this.locks.get(conversationId) === tail) this.locks.delete(conversationId);
    }
  }

  async readSync(query: SyncQuery): Promise<SyncRead> {
    const all = [...this.messages.values()].filter(
      (m) => m.props.conversationId === query.conversationId,
    );
    const messages = all
      .filter((m) => m.props.sequence > query.afterSequence)
      .sort((a, b) => a.props.sequence - b.props.sequence)
      .slice(0, query.pageSize + 1);
    const upper =
      messages.length > query.pageSize ? messages[query.pageSize - 1].props.sequence : Infinity;
    const deletions = all
      .filter((m) => {
        const d = m.props.deletion?.sequence;
        return d !== undefined && d > query.afterSequence && d <= upper;
      })
      .sort((a, b) => a.props.deletion!.sequence - b.props.deletion!.sequence)
      .slice(0, MAX_DELETIONS_PER_PAGE + 1);
    const edits = all
      .filter((m) => {
        const e = m.props.edit?.sequence;
        return e !== undefined && e > query.afterSequence && e <= upper;
      })
      .sort((a, b) => a.props.edit!.sequence - b.props.edit!.sequence)
      .slice(0, MAX_EDITS_PER_PAGE + 1);
    return {
      messages: messages.map(syncedMessage),
      deletions: deletions.map(syncedMessage),
      edits: edits.map(syncedMessage),
      latestSequence: latestOf(all),
    };
  }

  async readHistory(query: HistoryQuery): Promise<HistoryRead> {
    const all = [...this.messages.values()].filter(
      (m) => m.props.conversationId === query.conversationId,
    );
    const before = query.beforeSequence ?? Infinity;
    const messages = all
      .filter((m) => m.props.sequence < before)
      .sort((a, b) => b.props.sequence - a.props.sequence)
      .slice(0, query.pageSize + 1);
    return { messages, latestSequence: latestOf(all) };
  }
}

/** The highest position any change of these messages took. */
function latestOf(all: Message[]): number {
  return Math.max(
    0,
    ...all.map((m) =>
      Math.max(m.props.sequence, m.props.deletion?.sequence ?? 0, m.props.edit?.sequence ?? 0),
    ),
  );
}
