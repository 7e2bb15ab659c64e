import { randomUUID } from 'node:crypto';
import { MEMBERSHIP_EVENTS_LIVE_LOG, MessageApi, Stack, testTopic } from '@realchat/testing';

/** The content of every benchmark send (the send benchmark's pgbench script stores the same). */
export const BENCH_CONTENT = 'hello from the benchmark';

/** The three apps with one relay publishing to a topic of the benchmark's own. */
export function startStackWithRelay(
  databaseUrl: string,
  kafkaBrokers: string,
  name: string,
  messageApis = 1,
): Promise<Stack> {
  return Stack.start({
    databaseUrl,
    messageApis,
    relays: 1,
    topic: testTopic(`bench-${name}`, kafkaBrokers),
    // The relay's only: KAFKA_BROKERS would also turn the membership events on in the stub and
    // message-api (membershipEventsEnv does that where a benchmark wants it).
    relayEnv: { KAFKA_BROKERS: kafkaBrokers },
  });
}

/**
 * Env of a stack whose conversation-stub publishes MEMBERSHIP_CHANGED events to a topic of the
 * benchmark's own and whose message-api consumes them (docs/membership-cache.md), with the
 * default event-backed TTL: the configuration the send and capacity figures are measured in.
 */
export function membershipEventsEnv(kafkaBrokers: string, name: string): Record<string, string> {
  return {
    KAFKA_BROKERS: kafkaBrokers,
    CONVERSATION_EVENTS_TOPIC: testTopic(`bench-members-${name}`, kafkaBrokers),
  };
}

/** Waits until every message-api of `stack` consumes the membership events (when it does). */
export async function membershipEventsLive(
  stack: Stack,
  env: Record<string, string>,
): Promise<void> {
  if (!env.CONVERSATION_EVENTS_TOPIC) return;
  // The events count only once a GetConversation answer says the stub announces changes on
  // the topic: one lookup through each instance.
  const [primer] = await createConversations(stack, 1, 'members-primer');
  await Promise.all(stack.apis.map((_, i) => sendOne(stack.messageApi(i), primer)));
  await Promise.all(
    stack.apis.map((api) => api.waitForLog((l) => l.msg === MEMBERSHIP_EVENTS_LIVE_LOG, 60_000)),
  );
}

/** `count` conversations of alice and bob, named `<prefix>-1..count`; their ids. */
export async function createConversations(
  stack: Stack,
  count: number,
  prefix: string,
): Promise<string[]> {
  const conversations = stack.conversationApi();
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(
      (await conversations.create(['alice', 'bob'], `${prefix}-${i + 1}`)).conversation!
        .conversationId,
    );
  return ids;
}

/** One new message from alice (a fresh idempotency key, so never a replay). */
export function sendOne(api: MessageApi, conversationId: string, content = BENCH_CONTENT) {
  return api.send('alice', {
    conversationId,
    senderUserId: 'alice',
    idempotencyKey: randomUUID(),
    content,
  });
}

/** A random element of `ids`. */
export const anyOf = (ids: readonly string[]): string =>
  ids[Math.floor(Math.random() * ids.length)];
