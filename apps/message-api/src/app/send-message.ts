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
import type {
  ConversationDirectory,
  ConversationWrites,
  MessageEvents,
  SendRateLimit,
} from './ports';

/**
 * SendMessage. Everything that can refuse the send (the rate limit, validation, identity,
 * membership, the idempotency lookup) happens before a sequence number is taken, so refused and
 * retried sends leave no gaps. The number is taken while holding the conversation's write lock,
 * so commit order equals sequence order across any number of message-api instances.
 */
export class SendMessage {
  constructor(
    private readonly writes: ConversationWrites,
    private readonly conversations: ConversationDirectory,
    private readonly events: MessageEvents,
    private readonly limits: MessageLimits,
    private readonly rate: SendRateLimit = { take: () => 0 },
  ) {}

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
    const key = draft.idempotencyKey;

    return this.writes.inConversation(
      draft.conversationId,
      { deadline: ctx.deadline },
      async (tx) => {
        // Looked up under the lock, so a duplicate sent concurrently to any instance has
        // committed before this runs. (No lookup without the lock first: it would cost every
        // send a round trip to speed up only retries.)
        if (key !== null) {
          const earlier = await tx.findByIdempotencyKey(draft.senderUserId, key);
          if (earlier) return replay(earlier, draft);
        }
        const sequence = await this.conversations.nextSequence(draft.conversationId, ctx.deadline);
        const message = Message.create(draft, randomUUID(), sequence, new Date());
        const view = message.view();
        await tx.insertMessage(message, this.events.messageSent(view, ctx.traceparent));
        return view;
      },
    );
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
