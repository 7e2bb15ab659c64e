import { randomUUID } from 'node:crypto';
import {
  DeletionMode,
  EventCollector,
  freshDatabase,
  failure,
  Stack,
  status,
  testTopic,
} from '@realchat/testing';

/**
 * The developers' guide and README promise that logs never carry message content, metadata or
 * passwords. Every app runs at LOG_LEVEL=trace (the most it could ever log) through sends,
 * refusals, deletions and publishing; then no line of any app may contain a secret marker.
 */
describe('log hygiene (built apps at LOG_LEVEL=trace)', () => {
  let stack: Stack;
  let events: EventCollector;
  const marker = `SECRET-${randomUUID()}`;

  beforeAll(async () => {
    const databaseUrl = await freshDatabase('e2e_logs');
    const topic = testTopic('logs');
    [stack, events] = await Promise.all([
      Stack.start({ databaseUrl, relays: 1, topic, env: { LOG_LEVEL: 'trace' } }),
      EventCollector.start(topic),
    ]);
  });

  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  it('never logs message content, metadata or the database password', async () => {
    const api = stack.messageApi();
    const { conversation } = await stack.conversationApi().create(['alice', 'bob']);
    const c = conversation!.conversationId;
    const send = (content: string, metadataJson: string, idempotencyKey = '') =>
      api.send('alice', {
        conversationId: c,
        senderUserId: 'alice',
        content,
        metadataJson,
        idempotencyKey,
      });

    const { message } = await send(`hello ${marker}`, JSON.stringify({ note: marker }), 'k1');
    // Refusals whose messages describe the request must not echo it either.
    expect((await failure(send(`other ${marker}`, '', 'k1'))).code).toBe(status.ALREADY_EXISTS);
    expect((await failure(send(`x ${marker}`, `{"broken ${marker}`))).code).toBe(
      status.INVALID_ARGUMENT,
    );
    expect((await failure(send(marker.repeat(2000), ''))).code).toBe(status.INVALID_ARGUMENT);
    for (const mode of [DeletionMode.DELETION_MODE_SOFT, DeletionMode.DELETION_MODE_HARD]) {
      await api.delete('alice', {
        conversationId: c,
        messageId: message!.messageId,
        actorUserId: 'alice',
        mode,
      });
    }
    await api.sync('bob', { conversationId: c, afterSequence: 0, pageSize: 10 });
    await events.waitUntil(
      'the send and both deletions on Kafka',
      () => events.forKey(c).length >= 3,
    );

    const apps = [...stack.apis, ...stack.relays];
    const lines = apps.flatMap((p) =>
      p.logs().map((l) => ({ app: p.app, line: JSON.stringify(l) })),
    );
    // The refusals were logged (at debug, with their details): the check below covers them.
    expect(lines.filter(({ line }) => line.includes('"request refused"')).length).toBe(3);
    const leaks = lines.filter(
      ({ line }) => line.includes(marker) || /:\/\/[^/\s"]*:[^@\s"]+@/.test(line),
    );
    expect(leaks).toEqual([]);
  });
});
