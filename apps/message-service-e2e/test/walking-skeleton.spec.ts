import { EventType } from '@realchat/proto';
import { DeletionMode, EventCollector, freshDatabase, Stack, testTopic } from '@realchat/testing';

/**
 * The acceptance path of the walking skeleton: the three built apps as separate processes,
 * real PostgreSQL and Kafka, the generated gRPC clients and a kafkajs consumer.
 */
describe('walking skeleton (built apps, real PostgreSQL and Kafka)', () => {
  let stack: Stack;
  let events: EventCollector;

  beforeAll(async () => {
    const databaseUrl = await freshDatabase('e2e_skeleton');
    // A topic of its own: the shared default topic grows with every run, and the collector
    // would read all of it from the beginning.
    const topic = testTopic('skeleton');
    [stack, events] = await Promise.all([
      Stack.start({ databaseUrl, relays: 1, topic }),
      EventCollector.start(topic),
    ]);
  });

  afterAll(async () => {
    await events?.stop();
    const codes = await stack?.stop();
    expect(codes).toEqual({ 'outbox-relay': [0], 'message-api': [0], 'conversation-stub': [0] });
  });

  it('sends, deduplicates, pages, deletes and publishes in order', async () => {
    const api = stack.messageApi();
    const { conversation } = await stack.conversationApi().create(['alice', 'bob']);
    const c = conversation!.conversationId;

    const sent = [];
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    for (const [i, user] of ['alice', 'bob', 'alice'].entries()) {
      const { message } = await api.send(
        user,
        {
          conversationId: c,
          senderUserId: user,
          idempotencyKey: `k-${i}`,
          content: `hello ${i}`,
        },
        i === 0 ? { traceparent } : {},
      );
      sent.push(message!);
    }
    expect(sent.map((m) => m.sequence)).toEqual([1, 2, 3]);

    // The same idempotency key gives the same message back.
    const again = await api.send('bob', {
      conversationId: c,
      senderUserId: 'bob',
      idempotencyKey: 'k-1',
      content: 'hello 1',
    });
    expect(again.message).toEqual(sent[1]);

    // Two pages of two, in order.
    const page1 = await api.sync('bob', { conversationId: c, afterSequence: 0, pageSize: 2 });
    expect(page1.messages.map((m) => m.content)).toEqual(['hello 0', 'hello 1']);
    expect(page1.hasMore).toBe(true);
    const page2 = await api.sync('bob', {
      conversationId: c,
      afterSequence: page1.nextAfterSequence,
      pageSize: 2,
    });
    expect(page2.messages.map((m) => m.content)).toEqual(['hello 2']);
    expect(page2.hasMore).toBe(false);

    // Delete one; its content is gone from sync.
    await api.delete('alice', {
      conversationId: c,
      messageId: sent[0].messageId,
      actorUserId: 'alice',
      mode: DeletionMode.DELETION_MODE_SOFT,
    });
    const afterDelete = await api.sync('bob', {
      conversationId: c,
      afterSequence: 0,
      pageSize: 10,
    });
    expect(afterDelete.messages[0]).toMatchObject({
      messageId: sent[0].messageId,
      content: '',
      metadataJson: '',
    });
    expect(afterDelete.messages[0].deletedAt).toBeInstanceOf(Date);
    expect(afterDelete.deletions).toEqual([
      expect.objectContaining({
        messageId: sent[0].messageId,
        deletionSequence: 4,
        messageSequence: 1,
      }),
    ]);

    // Kafka: three MESSAGE_SENT then one MESSAGE_DELETED, keyed by the conversation, in order.
    await events.waitUntil('4 events of the conversation', () => events.forKey(c).length >= 4);
    const received = events.forKey(c);
    expect(received.map((e) => e.envelope.eventType)).toEqual([
      EventType.EVENT_TYPE_MESSAGE_SENT,
      EventType.EVENT_TYPE_MESSAGE_SENT,
      EventType.EVENT_TYPE_MESSAGE_SENT,
      EventType.EVENT_TYPE_MESSAGE_DELETED,
    ]);
    expect(received.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(received.slice(0, 3).map((e) => e.sent?.message?.content)).toEqual([
      'hello 0',
      'hello 1',
      'hello 2',
    ]);
    expect(received[3].deleted).toMatchObject({
      conversationId: c,
      messageId: sent[0].messageId,
      deletionSequence: 4,
      actorUserId: 'alice',
    });
    for (const e of received) {
      expect(e.headers['event-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.headers['schema-version']).toBe('1');
      expect(e.headers['content-type']).toContain('protobuf');
    }
    expect(new Set(received.map((e) => e.headers['event-id'])).size).toBe(4);
    expect(received[0].headers['event-type']).toBe('EVENT_TYPE_MESSAGE_SENT');
    // The trace context of the call that caused an event travels with it.
    expect(received[0].headers.traceparent).toBe(traceparent);
    expect(received[1].headers.traceparent).toBeUndefined();
  });
});
