import { randomUUID } from 'node:crypto';
import {
  AppProcess,
  conversationLockFree,
  conversationLockHeld,
  databaseTarget,
  databaseUrlVia,
  eventually,
  failure,
  freshDatabase,
  HoldingProxy,
  MessageApi,
  outboxMismatches,
  Stack,
  startMessageApi,
  status,
} from '@realchat/testing';

/**
 * PostgreSQL going away while a send is inside its transaction, made repeatable: the send is
 * stopped at an exact step by a proxy, then the database connections are cut. The process must
 * survive (a pg client that dies while checked out emits 'error'), answer UNAVAILABLE, leave no
 * row and no event, give the conversation's lock back, and work again once PostgreSQL is back.
 */
describe('a connection dying inside a send transaction', () => {
  let stack: Stack;
  let db: string;
  let pgProxy: HoldingProxy;
  let stubProxy: HoldingProxy;
  let app: AppProcess;
  let api: MessageApi;

  beforeAll(async () => {
    db = await freshDatabase('e2e_conn_dies');
    stack = await Stack.start({ databaseUrl: db, messageApis: 0 });
    pgProxy = new HoldingProxy(databaseTarget(db));
    stubProxy = new HoldingProxy(stack.conversationTarget);
    await Promise.all([pgProxy.open(), stubProxy.open()]);
    app = await startMessageApi({
      DATABASE_URL: databaseUrlVia(db, pgProxy.port),
      CONVERSATION_API_ADDR: stubProxy.address,
      // Members stay cached: the only Conversation API call of a held send is NextSequence.
      MEMBERS_CACHE_TTL_MS: '60000',
    });
    api = new MessageApi(`127.0.0.1:${app.port()}`);
  });
  afterAll(async () => {
    api?.close();
    const code = await app?.stop();
    await stack?.stop();
    await pgProxy?.close();
    await stubProxy?.close();
    // Still the same process, and it stops cleanly (checked after cleaning up, so that a
    // failure here cannot leave processes behind).
    expect(code).toBe(0);
  });

  const alive = () => expect(() => process.kill(app.pid, 0)).not.toThrow();

  async function conversation(): Promise<string> {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    const first = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      content: 'before',
    });
    expect(first.message!.sequence).toBe(1);
    return c;
  }

  it('while the send awaits NextSequence: UNAVAILABLE, lock freed at once, only the documented gap', async () => {
    const c = await conversation();
    const key = randomUUID();
    const during = {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: key,
      content: 'during',
    };
    // Any byte towards the Conversation API now is the NextSequence call of this send.
    const held = stubProxy.holdWhen();
    const sending = failure(api.send('alice', during));
    await held;
    await eventually(
      'the send to hold the conversation lock',
      () => conversationLockHeld(db, c),
      10_000,
    );

    await pgProxy.cut();
    // PostgreSQL ends the dead session's transaction: the lock is free while the send still waits.
    await eventually('the conversation lock to be free', () => conversationLockFree(db, c), 10_000);
    // NextSequence is answered now (number 2 is taken), and the INSERT meets the dead connection.
    stubProxy.release();
    expect((await sending).code).toBe(status.UNAVAILABLE);
    alive();

    await pgProxy.open();
    // Promptly: the first attempt once PostgreSQL is reachable succeeds (no dead pooled client).
    const retried = await api.send('alice', during);
    // Number 2 was taken between NextSequence and commit: the one gap the sync contract allows.
    expect(retried.message!.sequence).toBe(3);
    const page = await api.sync('bob', { conversationId: c });
    expect(page.messages.map((m) => [m.sequence, m.content])).toEqual([
      [1, 'before'],
      [3, 'during'],
    ]);
    expect(await outboxMismatches(db, c)).toEqual([]);
  });

  it('while the send holds the lock before taking a number: UNAVAILABLE, no number taken', async () => {
    const c = await conversation();
    const key = `held-${randomUUID()}`;
    const during = {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: key,
      content: 'during',
    };
    // The first statement that carries the key is the idempotency lookup, run under the lock.
    const held = pgProxy.holdWhen((chunk) => chunk.includes(key));
    const sending = failure(api.send('alice', during));
    await held;
    expect(await conversationLockHeld(db, c)).toBe(true);

    await pgProxy.cut();
    expect((await sending).code).toBe(status.UNAVAILABLE);
    alive();
    await eventually('the conversation lock to be free', () => conversationLockFree(db, c), 10_000);

    await pgProxy.open();
    const retried = await api.send('alice', during);
    expect(retried.message!.sequence).toBe(2); // no number was taken by the failed attempt
    const page = await api.sync('bob', { conversationId: c });
    expect(page.messages.map((m) => [m.sequence, m.content])).toEqual([
      [1, 'before'],
      [2, 'during'],
    ]);
    expect(await outboxMismatches(db, c)).toEqual([]);
  });
});
