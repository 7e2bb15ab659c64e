import { Metadata } from '@grpc/grpc-js';
import {
  AppProcess,
  CuttableProxy,
  eventually,
  failure,
  freshDatabase,
  MessageApi,
  query,
  Stack,
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
    const pg = new URL(db);
    const proxy = new CuttableProxy({ host: pg.hostname, port: Number(pg.port) });
    await proxy.open();
    const viaProxy = new URL(db);
    viaProxy.port = String(proxy.port);
    const app = await AppProcess.start(
      'message-api',
      {
        DATABASE_URL: viaProxy.toString(),
        MESSAGE_API_PORT: '0',
        MESSAGE_API_HOST: '127.0.0.1',
        CONVERSATION_API_ADDR: stack.conversationAddress,
      },
      'message-api serving realchat.message.v1.MessageApi',
    );
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
      await eventually(
        'a send to succeed once PostgreSQL is reachable again',
        () =>
          api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'after' }).then(
            () => true,
            () => false,
          ),
        15_000,
      );
      const rows = await query<{ content: string }>(
        db,
        'SELECT content FROM messages WHERE conversation_id = $1 ORDER BY sequence',
        [c],
      );
      expect(rows.map((r) => r.content)).toEqual(['before', 'after']);
      const [{ n }] = await query<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM outbox WHERE conversation_id = $1',
        [c],
      );
      expect(n).toBe(2);
    } finally {
      api.close();
      await app.stop();
      await proxy.cut().catch(() => undefined);
    }
  });

  it('answers UNAVAILABLE while the Conversation API is down, and recovers when it is back', async () => {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    const stub = await AppProcess.start(
      'conversation-stub',
      { DATABASE_URL: db, CONVERSATION_STUB_PORT: '0', CONVERSATION_STUB_HOST: '127.0.0.1' },
      'conversation-stub serving realchat.conversation.v1.ConversationApi',
    );
    // A message-api whose Conversation API is the second stub, which we stop and restart.
    const env = {
      DATABASE_URL: db,
      MESSAGE_API_PORT: '0',
      MESSAGE_API_HOST: '127.0.0.1',
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      MEMBERS_CACHE_TTL_MS: '0',
    };
    const app = await AppProcess.start(
      'message-api',
      env,
      'message-api serving realchat.message.v1.MessageApi',
    );
    const api = new MessageApi(`127.0.0.1:${app.port()}`);
    const port = stub.port();
    try {
      await api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'one' });
      expect(await stub.stop()).toBe(0);
      const f = await failure(
        api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'lost?' }),
      );
      expect(f.code).toBe(status.UNAVAILABLE);
      const restarted = await AppProcess.start(
        'conversation-stub',
        {
          DATABASE_URL: db,
          CONVERSATION_STUB_PORT: String(port),
          CONVERSATION_STUB_HOST: '127.0.0.1',
        },
        'conversation-stub serving realchat.conversation.v1.ConversationApi',
      );
      await eventually(
        'a send to succeed once the Conversation API is back',
        () =>
          api.send('alice', { conversationId: c, senderUserId: 'alice', content: 'two' }).then(
            () => true,
            () => false,
          ),
        15_000,
      );
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

  it('turns a deadline that passes into DEADLINE_EXCEEDED or UNAVAILABLE, never INTERNAL, and writes nothing half', async () => {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    const api = stack.messageApi();
    const codes = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await new Promise<number>((resolve) => {
        const md = new Metadata();
        md.set('x-user-id', 'alice');
        api.client.sendMessage(
          {
            conversationId: c,
            senderUserId: 'alice',
            idempotencyKey: `d${i}`,
            messageType: 'text',
            content: 'x',
            metadataJson: '',
          },
          md,
          { deadline: new Date(Date.now() + 1 + (i % 5)) },
          (e) => resolve(e ? e.code : 0),
        );
      });
      codes.add(res);
    }
    for (const code of codes)
      expect([status.OK, status.DEADLINE_EXCEEDED, status.UNAVAILABLE]).toContain(code);
    const [{ messages, events }] = await query<{ messages: number; events: number }>(
      db,
      `SELECT (SELECT count(*)::int FROM messages WHERE conversation_id = $1) AS messages,
              (SELECT count(*)::int FROM outbox WHERE conversation_id = $1) AS events`,
      [c],
    );
    expect(events).toBe(messages);
  });
});
