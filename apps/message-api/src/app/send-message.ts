import { randomUUID } from 'node:crypto';
import {
  DomainError,
  Message,
  MessageDraft,
  MessageLimits,
  MessageView,
  SendMessageInput,
  validateSend,
} from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import { KeyedBatches, Outcome } from './keyed-batches';
import type {
  ConversationDirectory,
  ConversationTx,
  ConversationWrites,
  MessageEvents,
  NewMessage,
  SendRateLimit,
} from './ports';

/** Most sends one group commit writes (one lock, one lookup, one numbering, one insert). */
const DEFAULT_SEND_BATCH_MAX = 128;

export interface SendMessageOptions {
  /** Most sends one group commit writes; 1 writes every send on its own. */
  readonly maxBatch?: number;
  /** Told the size of every group commit (message-api records it as a metric). */
  readonly onBatch?: (sends: number) => void;
  /** Per-sender allowance, checked before anything else (none: unlimited). */
  readonly rate?: SendRateLimit;
}

interface QueuedSend {
  readonly draft: MessageDraft;
  readonly ctx: CallContext;
}

/**
 * SendMessage. Everything that can refuse the send (the rate limit, validation, identity,
 * membership, the idempotency lookup, a passed deadline) happens before a sequence number is taken, so refused
 * and retried sends leave no gaps. Numbers are taken while holding the conversation's write
 * lock, so commit order equals sequence order across any number of message-api instances.
 *
 * Group commit: sends to one conversation that arrive while its previous write runs on this
 * instance are written together in one transaction: one lock, one idempotency lookup for all
 * their keys, one NextSequence call for the range, one insert of the messages and their
 * outbox events, one commit. Each send still gets its own answer (its message, its replay,
 * ALREADY_EXISTS or DEADLINE_EXCEEDED); a failed transaction fails the sends it carried and
 * writes none of them.
 */
export class SendMessage {
  private readonly batches: KeyedBatches<QueuedSend, MessageView>;
  private readonly rate: SendRateLimit;

  constructor(
    private readonly writes: ConversationWrites,
    private readonly conversations: ConversationDirectory,
    private readonly events: MessageEvents,
    private readonly limits: MessageLimits,
    options: SendMessageOptions = {},
  ) {
    this.rate = options.rate ?? { take: () => 0 };
    this.batches = new KeyedBatches(
      options.maxBatch ?? DEFAULT_SEND_BATCH_MAX,
      (conversationId, sends) => {
        options.onBatch?.(sends.length);
        return this.commit(conversationId, sends);
      },
    );
  }

  async execute(input: SendMessageInput, ctx: CallContext): Promise<MessageView> {
    // First of all, so a flood costs no validation, no Conversation API call, no lock and no
    // number. Keyed by the authenticated caller: sends as someone else are refused below anyway.
    const waitMs = this.rate.take(ctx.userId);
    if (waitMs > 0) {
      throw DomainError.resourceExhausted(
        `${ctx.userId} is sending too fast; retry in ${waitMs} ms`,
        waitMs,
      );
    }
    const draft = validateSend(input, this.limits);
    if (draft.senderUserId !== ctx.userId) {
      throw DomainError.permissionDenied(
        `x-user-id ${ctx.userId} may not send as ${draft.senderUserId}`,
      );
    }
    const members = await this.conversations.members(draft.conversationId, ctx.deadline);
    members.requireParticipant(draft.senderUserId, 'send messages');
    return this.batches.submit(draft.conversationId, { draft, ctx });
  }

  /** One group commit: the outcome of each send, in order. */
  private async commit(
    conversationId: string,
    sends: readonly QueuedSend[],
  ): Promise<Outcome<MessageView>[]> {
    const outcomes: Outcome<MessageView>[] = sends.map(() => ({ error: undefined }));
    // A send whose deadline passed while it queued is answered now, without a transaction.
    const live: number[] = [];
    sends.forEach((s, i) =>
      expired(s.ctx.deadline) ? (outcomes[i] = { error: deadlinePassed(s) }) : live.push(i),
    );
    if (live.length === 0) return outcomes;
    const written = await this.writes.inConversation(
      conversationId,
      { deadline: latestDeadline(live.map((i) => sends[i].ctx.deadline)) },
      (tx) =>
        this.write(
          tx,
          conversationId,
          live.map((i) => sends[i]),
        ),
    );
    live.forEach((i, j) => (outcomes[i] = written[j]));
    return outcomes;
  }

  /** Inside the conversation's write lock. */
  private async write(
    tx: ConversationTx,
    conversationId: string,
    sends: readonly QueuedSend[],
  ): Promise<Outcome<MessageView>[]> {
    // Looked up under the lock, so a duplicate sent concurrently to any instance has committed
    // before this runs. (No lookup without the lock first: it would cost every send a round
    // trip to speed up only retries.)
    const keyed = sends.flatMap((s) =>
      s.draft.idempotencyKey === null
        ? []
        : [{ senderUserId: s.draft.senderUserId, idempotencyKey: s.draft.idempotencyKey }],
    );
    const stored = new Map(
      (await tx.findByIdempotencyKeys(keyed)).map((m) => [
        keyOf(m.props.senderUserId, m.props.idempotencyKey!),
        m,
      ]),
    );

    const outcomes: Outcome<MessageView>[] = [];
    /** Sends that take a number, and, by key, the first of them (a later twin replays it). */
    const fresh: { index: number; send: QueuedSend }[] = [];
    const firstWithKey = new Map<string, number>();
    const twins: { index: number; of: number }[] = [];
    sends.forEach((send, index) => {
      const { draft } = send;
      const key =
        draft.idempotencyKey === null ? null : keyOf(draft.senderUserId, draft.idempotencyKey);
      const earlier = key === null ? undefined : stored.get(key);
      if (earlier) {
        outcomes[index] = settle(() => replay(earlier, draft));
      } else if (key !== null && firstWithKey.has(key)) {
        twins.push({ index, of: firstWithKey.get(key)! });
      } else if (expired(send.ctx.deadline)) {
        outcomes[index] = { error: deadlinePassed(send) };
      } else {
        if (key !== null) firstWithKey.set(key, fresh.length);
        fresh.push({ index, send });
      }
    });

    const numbers = await this.take(
      conversationId,
      fresh.length,
      latestDeadline(fresh.map((f) => f.send.ctx.deadline)),
    );
    const sentAt = new Date();
    const rows: (NewMessage & { view: MessageView })[] = fresh.map(({ send }, j) => {
      const message = Message.create(send.draft, randomUUID(), numbers[j], sentAt);
      const view = message.view(); // one view: the response reuses the event's proto mapping
      return { message, view, event: this.events.messageSent(view, send.ctx.traceparent) };
    });
    await tx.insertMessages(rows);
    fresh.forEach(({ index }, j) => (outcomes[index] = { value: rows[j].view }));
    for (const { index, of } of twins) {
      outcomes[index] = settle(() => replay(rows[of].message, sends[index].draft));
    }
    return outcomes;
  }

  /** `count` consecutive numbers, in as few NextSequence calls as the Conversation API allows. */
  private async take(conversationId: string, count: number, deadline?: Date): Promise<number[]> {
    const numbers: number[] = [];
    while (numbers.length < count) {
      const wanted = count - numbers.length;
      const { first, last } = await this.conversations.nextSequences(
        conversationId,
        wanted,
        deadline,
      );
      if (last < first || last - first + 1 > wanted) {
        throw new Error(
          `NextSequence of ${conversationId} answered ${first}..${last} for ${wanted} numbers`,
        );
      }
      for (let n = first; n <= last; n++) numbers.push(n);
    }
    return numbers;
  }
}

const keyOf = (senderUserId: string, idempotencyKey: string) =>
  `${senderUserId}\u0000${idempotencyKey}`;

const expired = (deadline?: Date) => deadline !== undefined && Date.now() >= deadline.getTime();

/** The latest of the deadlines; none if any send has none (the store's own limit applies). */
function latestDeadline(deadlines: readonly (Date | undefined)[]): Date | undefined {
  let latest: Date | undefined;
  for (const d of deadlines) {
    if (d === undefined) return undefined;
    if (!latest || d > latest) latest = d;
  }
  return latest;
}

function deadlinePassed(send: QueuedSend): DomainError {
  return DomainError.deadlineExceeded(
    `deadline passed before the send to conversation ${send.draft.conversationId} was written; nothing was written`,
  );
}

function settle(f: () => MessageView): Outcome<MessageView> {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
}

/** A repeated key: the original message for the same payload, ALREADY_EXISTS otherwise. */
function replay(earlier: Message, draft: MessageDraft): MessageView {
  if (earlier.hasSamePayload(draft)) return earlier.view();
  throw new DomainError(
    'already-exists',
    `idempotency_key "${draft.idempotencyKey}" was already used by ${draft.senderUserId} in conversation ` +
      `${draft.conversationId} for a different message (${earlier.id}); use a new key for a new message`,
  );
}
