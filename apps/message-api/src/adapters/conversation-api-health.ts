import { Client, makeClientConstructor, Metadata, ServiceError, status } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = makeClientConstructor(
  healthService as unknown as Parameters<typeof makeClientConstructor>[0],
  'grpc.health.v1.Health',
);

/** The name the Conversation API reports its readiness under. */
const CONVERSATION_API = 'realchat.conversation.v1.ConversationApi';

/**
 * Asks the Conversation API whether it serves (grpc.health.v1 Check), over the channel of the
 * client message-api already uses, so that the answer is about the connection calls go through.
 * A server that does not implement health (UNIMPLEMENTED) or does not know the name (NOT_FOUND)
 * still answered: it counts as up. Anything else (NOT_SERVING, no answer in time) is down.
 */
export function conversationApiAnswers(channelOf: Client): (timeoutMs: number) => Promise<void> {
  const client = new HealthClient('unused', null as never, {
    channelOverride: channelOf.getChannel(),
  }) as unknown as {
    check(
      req: { service: string },
      md: Metadata,
      opts: { deadline: Date },
      cb: (e: ServiceError | null, res?: { status: string }) => void,
    ): void;
  };
  return (timeoutMs) =>
    new Promise((resolve, reject) =>
      client.check(
        { service: CONVERSATION_API },
        new Metadata(),
        { deadline: new Date(Date.now() + timeoutMs) },
        (e, res) => {
          if (e) {
            if (e.code === status.UNIMPLEMENTED || e.code === status.NOT_FOUND) resolve();
            else reject(e);
          } else if (res?.status === 'SERVING') resolve();
          else reject(new Error(`Conversation API health: ${res?.status}`));
        },
      ),
    );
}
