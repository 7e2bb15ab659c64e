import {
  conversationLockHeld,
  CuttableProxy,
  databaseTarget,
  databaseUrlVia,
  eventually,
  failure,
  freshDatabase,
  HealthClient,
  HoldingProxy,
  MessageApi,
  reflectedServices,
  Stack,
  startConversationStub,
  startMessageApi,
  status,
} from '@realchat/testing';

const MESSAGE_API = 'realchat.message.v1.MessageApi';
const CONVERSATION_API = 'realchat.conversation.v1.ConversationApi';
const HEALTH = 'grpc.health.v1.Health';
// Short rounds so that a status change shows within a second or so on a busy machine.
const FAST_CHECKS = { HEALTH_CHECK_INTERVAL_MS: '100', HEALTH_CHECK_TIMEOUT_MS: '500' };

/**
 * README "Operating it": grpc.health.v1.Health on both gRPC apps (readiness under the service
 * name and "", SERVING only while the dependencies answer; `liveness` never depends on them;
 * everything NOT_SERVING once SIGTERM starts the drain) and server reflection.
 */
describe('gRPC health and reflection', () => {
  let stack: Stack;
  let db: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_health');
    stack = await Stack.start({ databaseUrl: db });
  });
  afterAll(() => stack?.stop());

  const statusOf = async (health: HealthClient, name: string) =>
    health.check(name).catch((e: { code?: number }) => `error ${e.code}`);

  it('lists the served services through reflection, as grpcurl does; GRPC_REFLECTION=false turns it off', async () => {
    const api = `127.0.0.1:${stack.apis[0].port()}`;
    const apiServices = await reflectedServices(api);
    expect(apiServices).toEqual(expect.arrayContaining([MESSAGE_API, HEALTH]));
    expect(apiServices).not.toContain(CONVERSATION_API);
    expect(await reflectedServices(stack.conversationAddress)).toEqual(
      expect.arrayContaining([CONVERSATION_API, HEALTH]),
    );

    const off = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: stack.conversationAddress,
      GRPC_REFLECTION: 'false',
    });
    try {
      expect((await failure(reflectedServices(`127.0.0.1:${off.port()}`))).code).toBe(
        status.UNIMPLEMENTED,
      );
    } finally {
      await off.stop();
    }
  });

  it('is SERVING with its dependencies up, under the service name and ""', async () => {
    const api = new HealthClient(`127.0.0.1:${stack.apis[0].port()}`);
    const stub = new HealthClient(stack.conversationAddress);
    try {
      await eventually(
        'message-api to be ready',
        async () => (await statusOf(api, '')) === 'SERVING',
        15_000,
      );
      expect(await api.check(MESSAGE_API)).toBe('SERVING');
      expect(await api.check('liveness')).toBe('SERVING');
      expect(await stub.check(CONVERSATION_API)).toBe('SERVING');
      expect(await stub.check('')).toBe('SERVING');
      expect((await failure(api.check('no.such.Service'))).code).toBe(status.NOT_FOUND);
    } finally {
      api.close();
      stub.close();
    }
  });

  it('turns NOT_SERVING while PostgreSQL is cut off and SERVING when it is back; liveness stays SERVING', async () => {
    const pg = new CuttableProxy(databaseTarget(db));
    await pg.open();
    const stubVia = await startConversationStub({
      DATABASE_URL: databaseUrlVia(db, pg.port),
      ...FAST_CHECKS,
    });
    // Its Conversation API is the healthy stub of the stack: only its own PostgreSQL is cut.
    const app = await startMessageApi({
      DATABASE_URL: databaseUrlVia(db, pg.port),
      CONVERSATION_API_ADDR: stack.conversationAddress,
      ...FAST_CHECKS,
    });
    const api = new HealthClient(`127.0.0.1:${app.port()}`);
    const stub = new HealthClient(`127.0.0.1:${stubVia.port()}`);
    try {
      await eventually(
        'both to be ready',
        async () =>
          (await statusOf(api, MESSAGE_API)) === 'SERVING' &&
          (await statusOf(stub, CONVERSATION_API)) === 'SERVING',
        15_000,
      );

      await pg.cut();
      await eventually(
        'message-api to be NOT_SERVING',
        async () =>
          (await statusOf(api, MESSAGE_API)) === 'NOT_SERVING' &&
          (await statusOf(api, '')) === 'NOT_SERVING',
        15_000,
      );
      await eventually(
        'the stub to be NOT_SERVING',
        async () =>
          (await statusOf(stub, CONVERSATION_API)) === 'NOT_SERVING' &&
          (await statusOf(stub, '')) === 'NOT_SERVING',
        15_000,
      );
      // Liveness says only that the process runs: restarting it would not bring PostgreSQL back.
      expect(await api.check('liveness')).toBe('SERVING');
      expect(await stub.check('liveness')).toBe('SERVING');

      await pg.open(pg.port);
      await eventually(
        'both to be SERVING again',
        async () =>
          (await statusOf(api, MESSAGE_API)) === 'SERVING' &&
          (await statusOf(stub, CONVERSATION_API)) === 'SERVING',
        15_000,
      );
    } finally {
      api.close();
      stub.close();
      await app.stop();
      await stubVia.stop();
      await pg.close();
    }
  });

  it('message-api turns NOT_SERVING while the Conversation API does not answer', async () => {
    const proxy = new CuttableProxy(stack.conversationTarget);
    await proxy.open();
    const app = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${proxy.port}`,
      ...FAST_CHECKS,
    });
    const api = new HealthClient(`127.0.0.1:${app.port()}`);
    try {
      await eventually(
        'message-api to be ready',
        async () => (await statusOf(api, MESSAGE_API)) === 'SERVING',
        15_000,
      );
      await proxy.cut();
      await eventually(
        'message-api to be NOT_SERVING',
        async () => (await statusOf(api, MESSAGE_API)) === 'NOT_SERVING',
        15_000,
      );
      expect(await api.check('liveness')).toBe('SERVING');
      await proxy.open(proxy.port);
      await eventually(
        'message-api to be SERVING again',
        async () => (await statusOf(api, MESSAGE_API)) === 'SERVING',
        15_000,
      );
    } finally {
      api.close();
      await app.stop();
      await proxy.close();
    }
  });

  it('tells watchers NOT_SERVING as soon as SIGTERM starts the drain, while a call is still in flight', async () => {
    const stubProxy = new HoldingProxy(stack.conversationTarget);
    await stubProxy.open();
    const app = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: stubProxy.address,
      MEMBERS_CACHE_TTL_MS: '60000',
      ...FAST_CHECKS,
    });
    const address = `127.0.0.1:${app.port()}`;
    const messages = new MessageApi(address);
    const health = new HealthClient(address);
    try {
      const c = (await stack.conversationApi().create(['alice'])).conversation!.conversationId;
      await messages.send('alice', { conversationId: c, senderUserId: 'alice', content: 'warm' });
      await eventually(
        'message-api to be ready',
        async () => (await statusOf(health, MESSAGE_API)) === 'SERVING',
        15_000,
      );
      const watchers = ['', MESSAGE_API, 'liveness'].map((name) => health.watch(name));
      await eventually(
        'the watchers to get SERVING',
        () => watchers.every((w) => w.statuses.includes('SERVING')),
        10_000,
      );

      // A send inside its transaction, waiting for NextSequence: the drain cannot end before it.
      const held = stubProxy.holdWhen();
      const send = messages.send('alice', {
        conversationId: c,
        senderUserId: 'alice',
        content: 'in flight',
      });
      await held;
      await eventually('the send to hold the lock', () => conversationLockHeld(db, c), 10_000);

      const exit = app.stop('SIGTERM');
      await app.waitForLog((l) => l.msg === 'stopping: draining in-flight work', 10_000);
      await eventually(
        'every watcher to get NOT_SERVING',
        () => watchers.every((w) => w.statuses.at(-1) === 'NOT_SERVING'),
        10_000,
      );
      expect(stubProxy.heldBytes).toBeGreaterThan(0); // the call is still in flight
      // The HTTP readiness probe says the same while the drain lasts.
      const readyz = await fetch(`http://127.0.0.1:${app.port('http')}/readyz`);
      expect([readyz.status, await readyz.text()]).toEqual([
        503,
        expect.stringMatching(/draining/),
      ]);
      // The watch streams end with the drain, so that they do not hold it up.
      await Promise.all(watchers.map((w) => w.ended));

      stubProxy.release();
      expect((await send).message!.sequence).toBe(2);
      expect(await exit).toBe(0);
    } finally {
      messages.close();
      health.close();
      await app.stop();
      await stubProxy.close();
    }
  });
});
