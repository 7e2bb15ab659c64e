import {
  AppProcess,
  conversationLockHeld,
  EventCollector,
  eventually,
  freshDatabase,
  HoldingProxy,
  MessageApi,
  outboxSize,
  query,
  Stack,
  startMessageApi,
  testTopic,
} from '@realchat/testing';

/**
 * README "SIGTERM stops each app gracefully: the gRPC servers finish in-flight calls; the relay
 * finishes its batch, releases its shard leases and exits 0." The work is held in flight by a
 * proxy (a Conversation API call; the relay's acknowledgement) while the signal arrives, and let
 * go once the app has begun to stop.
 */
describe('SIGTERM with work in flight', () => {
  let stack: Stack;
  let db: string;
  let topic: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_shutdown');
    topic = testTopic('shutdown');
    stack = await Stack.start({ databaseUrl: db, topic });
  });
  afterAll(() => stack?.stop());

  const stopping = (app: AppProcess) =>
    app.waitForLog((l) => l.msg === 'stopping: draining in-flight work', 10_000);

  it('message-api answers the calls in flight, then exits 0', async () => {
    const stubProxy = new HoldingProxy(stack.conversationTarget);
    await stubProxy.open();
    const app = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: stubProxy.address,
      MEMBERS_CACHE_TTL_MS: '60000',
    });
    const api = new MessageApi(`127.0.0.1:${app.port()}`);
    try {
      const conversations = await Promise.all(
        [1, 2, 3].map(async () => {
          const c = (await stack.conversationApi().create(['alice'])).conversation!.conversationId;
          await api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'warm' });
          return c;
        }),
      );
      // Three sends, each inside its transaction, waiting for NextSequence.
      const held = stubProxy.holdWhen();
      const sends = conversations.map((c) =>
        api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'in flight' }),
      );
      await held;
      await eventually(
        'all three sends to be inside their transactions',
        async () =>
          (await Promise.all(conversations.map((c) => conversationLockHeld(db, c)))).every(Boolean),
        10_000,
      );

      const exit = app.stop('SIGTERM');
      await stopping(app);
      stubProxy.release();
      const results = await Promise.all(sends);
      expect(results.map((r) => [r.message!.sequence, r.message!.content])).toEqual([
        [2, 'in flight'],
        [2, 'in flight'],
        [2, 'in flight'],
      ]);
      expect(await exit).toBe(0);
    } finally {
      api.close();
      await app.stop();
      await stubProxy.close();
    }
  });

  it('the relay acknowledges its batch in flight (row gone, event on Kafka), then exits 0', async () => {
    const pg = new URL(db);
    const pgProxy = new HoldingProxy({ host: pg.hostname, port: Number(pg.port) });
    await pgProxy.open();
    const viaProxy = new URL(db);
    viaProxy.port = String(pgProxy.port);
    const events = await EventCollector.start(topic);
    const c = (await stack.conversationApi().create(['alice'])).conversation!.conversationId;
    await stack
      .messageApi()
      .send('alice', { conversationId: c, senderUserId: 'alice', content: 'last words' });
    // Everything waiting in the outbox (this send, and any earlier test's) makes one batch.
    const pending = (await query<{ event_id: string }>(db, 'SELECT event_id FROM outbox')).map(
      (r) => r.event_id,
    );
    // The relay's first acknowledgement (deleting the published rows) is held.
    const held = pgProxy.holdWhen((chunk) => /DELETE FROM outbox\b/.test(chunk.toString('latin1')));
    const relay = await stack.startRelay({ DATABASE_URL: viaProxy.toString() });
    try {
      await held;
      const published = () => new Set(events.events.map((e) => e.headers['event-id']));
      await events.waitUntil(
        'the batch on Kafka',
        () => pending.every((id) => published().has(id)),
        20_000,
      );
      expect(await outboxSize(db)).toBe(pending.length); // published, not yet acknowledged

      const exit = relay.stop('SIGTERM');
      await stopping(relay);
      pgProxy.release();
      expect(await exit).toBe(0);
      // Acknowledged before the exit: no row left to be published twice.
      expect(await outboxSize(db)).toBe(0);
      expect(events.forKey(c)).toHaveLength(1);
    } finally {
      await events.stop();
      await relay.stop();
      await pgProxy.close();
    }
  });
});
