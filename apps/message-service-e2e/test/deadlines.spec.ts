import { randomUUID } from 'node:crypto';
import {
  AppProcess,
  conversationLockFree,
  conversationLockHeld,
  conversationLockWaiters,
  eventually,
  freshDatabase,
  HoldingProxy,
  holdConversationLock,
  loggedFailureKinds,
  MessageApi,
  outboxMismatches,
  sendWithDeadline,
  Stack,
  startMessageApi,
  status,
} from '@realchat/testing';

/**
 * "The client's deadline bounds the Conversation API calls and the transaction", including the
 * wait for the conversation's lock. The client always sees DEADLINE_EXCEEDED once its deadline
 * passes (grpc enforces it on both ends), so these tests check what only the server can get
 * wrong: that it stops waiting, writes nothing and takes no number after the deadline, and
 * classifies the call as a deadline (its log), not as the database being unavailable.
 */
describe('deadlines bound the lock wait and the transaction', () => {
  let stack: Stack;
  let db: string;
  let stubProxy: HoldingProxy;
  let app: AppProcess;
  let api: MessageApi;

  beforeAll(async () => {
    db = await freshDatabase('e2e_deadlines');
    stack = await Stack.start({ databaseUrl: db, messageApis: 0 });
    stubProxy = new HoldingProxy(stack.conversationTarget);
    await stubProxy.open();
    app = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: stubProxy.address,
      MEMBERS_CACHE_TTL_MS: '60000',
      // Far above the 300 ms deadlines: a call bounded by its fallback would stand out.
      CONVERSATION_API_TIMEOUT_MS: '10000',
    });
    api = new MessageApi(`127.0.0.1:${app.port()}`);
  });
  afterAll(async () => {
    api?.close();
    const code = await app?.stop();
    await stack?.stop();
    await stubProxy?.close();
    // Still the same process, and it stops cleanly (checked after cleaning up, so that a
    // failure here cannot leave processes behind).
    expect(code).toBe(0);
  });

  async function conversation(users = ['alice', 'bob']): Promise<string> {
    const c = (await stack.conversationApi().create(users)).conversation!.conversationId;
    const first = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      content: 'before',
    });
    expect(first.message!.sequence).toBe(1); // and alice's membership is now cached
    return c;
  }

  /**
   * The failed send left no trace: the next send takes number 2, and the conversation holds only
   * `first` and it.
   */
  async function nextSendTakesTwo(c: string, first: string): Promise<void> {
    const next = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      content: 'after',
    });
    expect(next.message!.sequence).toBe(2);
    const page = await api.sync('bob', { conversationId: c });
    expect(page.messages.map((m) => [m.sequence, m.content])).toEqual([
      [1, first],
      [2, 'after'],
    ]);
  }

  it('a 300 ms deadline while another session holds the lock: DEADLINE_EXCEEDED, the wait given up, nothing written', async () => {
    const c = await conversation();
    const lock = await holdConversationLock(db, c);
    const from = app.logs().length;
    try {
      const started = Date.now();
      const res = await sendWithDeadline(
        api,
        'alice',
        { conversationId: c, senderUserId: 'alice', content: 'late' },
        new Date(started + 300),
      );
      expect(res.code).toBe(status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(3000);
      // The server gave up the wait too (not only the client): nobody queues for the lock.
      await eventually(
        'the send to stop waiting for the lock',
        async () => (await conversationLockWaiters(db, c)) === 0,
        3000,
        25,
      );
    } finally {
      await lock.release();
    }
    // Nothing was written after the lock became free, and no number was taken.
    await nextSendTakesTwo(c, 'before');
    expect(await outboxMismatches(db, c)).toEqual([]);
    // A deadline, not a database outage.
    expect(loggedFailureKinds(app, 'SendMessage', from)).toEqual(['deadline-exceeded']);
  });

  it('a deadline passing while NextSequence is unanswered ends the transaction and frees the lock', async () => {
    const c = await conversation();
    const from = app.logs().length;
    const held = stubProxy.holdWhen(); // the next Conversation API call is this send's NextSequence
    const started = Date.now();
    const sending = sendWithDeadline(
      api,
      'alice',
      { conversationId: c, senderUserId: 'alice', content: 'late' },
      new Date(started + 300),
    );
    await held;
    expect((await sending).code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(3000);
    // The transaction ended although the Conversation API never answered.
    await eventually('the lock to be free', () => conversationLockFree(db, c), 3000, 25);
    // Drop the unanswered call (so that it never takes a number) and reconnect.
    await stubProxy.cut();
    await stubProxy.open();
    await nextSendTakesTwo(c, 'before');
    expect(loggedFailureKinds(app, 'SendMessage', from)).toEqual(['deadline-exceeded']);
  });

  it('a deadline that has already passed when the send reaches the transaction is DEADLINE_EXCEEDED and writes nothing', async () => {
    const users = ['alice', 'bob'];
    const c = (await stack.conversationApi().create(users)).conversation!.conversationId;
    const from = app.logs().length;
    // Both sends share one members lookup (not cached yet), which the proxy holds: the short
    // one's deadline passes while it waits, and it goes on to the transaction with no time left.
    const held = stubProxy.holdWhen();
    const patient = sendWithDeadline(
      api,
      'alice',
      { conversationId: c, senderUserId: 'alice', content: 'patient' },
      new Date(Date.now() + 20_000),
    );
    await held;
    const hasty = await sendWithDeadline(
      api,
      'alice',
      { conversationId: c, senderUserId: 'alice', content: 'hasty', idempotencyKey: randomUUID() },
      new Date(Date.now() + 200),
    );
    expect(hasty.code).toBe(status.DEADLINE_EXCEEDED);
    stubProxy.release();
    expect(await patient).toEqual({ code: status.OK, sequence: 1 });
    await eventually(
      'the server to finish the hasty send',
      () => loggedFailureKinds(app, 'SendMessage', from).length > 0,
      5000,
      25,
    );
    expect(loggedFailureKinds(app, 'SendMessage', from)).toEqual(['deadline-exceeded']);
    expect(await conversationLockHeld(db, c)).toBe(false);
    await nextSendTakesTwo(c, 'patient');
  });
});
