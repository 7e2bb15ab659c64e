import {
  conversationLockWaiters,
  CuttableProxy,
  databaseTarget,
  databaseUrlVia,
  eventually,
  failure,
  freshDatabase,
  holdConversationLock,
  loggedFailureKinds,
  MessageApi,
  outboxMismatches,
  query,
  sendWhenAvailable,
  sendWithDeadline,
  Stack,
  startConversationStub,
  startMessageApi,
  status,
} from '@realchat/testing';

describe('dependencies failing', () => {
  let stack: Stack;
  let db: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_deps');
    stack = await Stack.start({ databaseUrl: db });
  });
  afterAll(() => stack?.stop());

  it('answers UNAVAILABLE while PostgreSQL is unreachable, writes nothing, and recovers by itself', async () => {
    const proxy = new CuttableProxy(databaseTarget(db));
    await proxy.open();
    const app = await startMessageApi({
      DATABASE_URL: databaseUrlVia(db, proxy.port),
      CONVERSATION_API_ADDR: stack.conversationAddress,
    });
    const api = new MessageApi(`127.0.0.1:${app.port()}`);
    try {
      const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!
        .conversationId;
      await api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'before' });

      await proxy.cut();
      const during = await failure(
        api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'during' }),
      );
      expect(during.code).toBe(status.UNAVAILABLE);
      expect((await failure(api.sync('bob', { conversationId: c }))).code).toBe(status.UNAVAILABLE);

      await proxy.open(proxy.port);
      await sendWhenAvailable(api, 'alice', {
        conversationId: c,
        senderUserId: 'alice',
        content: 'after',
      });
      const rows = await query<{ content: string }>(
        db,
        'SELECT content FROM messages WHERE conversation_id = $1 ORDER BY sequence',
        [c],
      );
      expect(rows.map((r) => r.content)).toEqual(['before', 'after']);
      // Each stored message has exactly its event, and no event announces the failed send.
      expect(await outboxMismatches(db, c)).toEqual([]);
    } finally {
      api.close();
      await app.stop();
      await proxy.cut().catch(() => undefined);
    }
  });

  it('answers UNAVAILABLE while the Conversation API is down, and recovers when it is back', async () => {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    const stub = await startConversationStub({ DATABASE_URL: db });
    // A message-api whose Conversation API is the second stub, which we stop and restart.
    const app = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      MEMBERS_CACHE_TTL_MS: '0',
    });
    const api = new MessageApi(`127.0.0.1:${app.port()}`);
    const port = stub.port();
    try {
      await api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'one' });
      expect(await stub.stop()).toBe(0);
      const f = await failure(
        api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'lost?' }),
      );
      expect(f.code).toBe(status.UNAVAILABLE);
      const restarted = await startConversationStub({
        DATABASE_URL: db,
        CONVERSATION_STUB_PORT: String(port),
      });
      await sendWhenAvailable(api, 'alice', {
        conversationId: c,
        senderUserId: 'alice',
        content: 'two',
      });
      const rows = await query<{ content: string }>(
        db,
        'SELECT content FROM messages WHERE conversation_id = $1 ORDER BY sequence',
        [c],
      );
      expect(rows.map((r) => r.content)).toEqual(['one', 'two']);
      await restarted.stop();
    } finally {
      api.close();
      await app.stop();
    }
  });

  it('turns deadlines that pass while sends wait into DEADLINE_EXCEEDED, never INTERNAL, and writes nothing', async () => {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    const api = stack.messageApi();
    await api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'before' });
    // The lock held by another session keeps every send waiting until its deadline passes in
    // the server (deadlines of a few ms would only expire in the client, before the server ran).
    const lock = await holdConversationLock(db, c);
    const from = stack.apis[0].logs().length;
    let codes: number[];
    try {
      codes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          sendWithDeadline(
            api,
            'alice',
            { conversationId: c, senderUserId: 'alice', idempotencyKey: `d${i}`, content: 'x' },
            new Date(Date.now() + 50 + 15 * i),
          ).then((r) => r.code),
        ),
      );
      // Every waiting send gave the lock wait up in the server, too.
      await eventually(
        'the sends to stop waiting for the lock',
        async () => (await conversationLockWaiters(db, c)) === 0,
        5000,
        25,
      );
    } finally {
      await lock.release();
    }
    expect(new Set(codes)).toEqual(new Set([status.DEADLINE_EXCEEDED]));
    // The server answered each as a deadline: no INTERNAL (an error log), no UNAVAILABLE.
    const apiLogs = stack.apis[0].logs().slice(from);
    expect(apiLogs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(new Set(loggedFailureKinds(stack.apis[0], 'SendMessage', from))).toEqual(
      new Set(['deadline-exceeded']),
    );
    // Nothing was written once the lock was free, and no number was taken.
    const next = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      content: 'after',
    });
    expect(next.message!.sequence).toBe(2);
    expect(await outboxMismatches(db, c)).toEqual([]);
  });
});
