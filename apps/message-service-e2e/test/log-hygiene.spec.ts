import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  DeletionMode,
  EventCollector,
  freshDatabase,
  failure,
  Stack,
  status,
  testTopic,
  TokenIssuer,
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

/**
 * Tokens and URL passwords: message-api and the conversation-stub run in AUTH_MODE=jwt at
 * LOG_LEVEL=trace through accepted calls, every token attack and a spoofed x-user-id; no line
 * may carry a token (or any part of one past its header) or the database password. A bad
 * configuration echoes the variables it names, minus their passwords.
 */
describe('log hygiene: tokens and URL passwords (AUTH_MODE=jwt, LOG_LEVEL=trace)', () => {
  let stack: Stack;
  let issuer: TokenIssuer;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await freshDatabase('e2e_logs_tokens');
    issuer = await TokenIssuer.create();
    stack = await Stack.start({ databaseUrl, env: { ...issuer.env(), LOG_LEVEL: 'trace' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('never logs a token or the database password', async () => {
    const tokens: string[] = [];
    const bearer = async (sub: string) => {
      const md = await issuer.bearer(sub);
      tokens.push(md.authorization.slice('Bearer '.length));
      return md;
    };
    const api = stack.messageApi();
    const { conversation } = await stack
      .conversationApi()
      .create(['alice', 'bob'], '', 'logs', await bearer('alice'));
    const c = conversation!.conversationId;
    const send = (md: Record<string, string>, user: string | null = null) =>
      api.send(user, { conversationId: c, senderUserId: 'alice', content: 'hi' }, md);

    await send(await bearer('alice'));
    await api.sync(
      null,
      { conversationId: c, afterSequence: 0, pageSize: 10 },
      await bearer('bob'),
    );
    expect((await failure(send(await bearer('alice'), 'mallory'))).code).toBe(
      status.PERMISSION_DENIED,
    );
    for (const [, token] of await issuer.attacks('alice')) {
      if (token === null) continue;
      tokens.push(token);
      expect((await failure(send({ authorization: `Bearer ${token}` }))).code).toBe(
        status.UNAUTHENTICATED,
      );
    }

    const linesOf = () =>
      [stack.conversationStub, ...stack.apis].flatMap((p) =>
        p.logs().map((l) => JSON.stringify(l)),
      );
    // Every refusal above was logged (at debug, with its details): the check below covers them.
    // The lines arrive through pipes, so they are awaited, not assumed.
    const refusals = tokens.length - 3; // all but the three accepted calls
    const deadline = Date.now() + 10_000;
    while (linesOf().filter((l) => l.includes('"request refused"')).length < refusals) {
      if (Date.now() > deadline)
        throw new Error(
          `fewer than ${refusals} refusals logged:\n${linesOf()
            .filter((l) => l.includes('refused'))
            .join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = linesOf();
    // The payload and signature parts (a header alone says only alg and kid).
    const secrets = tokens
      .flatMap((t) => t.split('.').slice(1))
      .filter((part) => part.length >= 16);
    const password = new URL(databaseUrl).password;
    expect(password.length).toBeGreaterThan(0);
    const leaks = lines.filter(
      (l) =>
        secrets.some((s) => l.includes(s)) ||
        /Bearer [\w-]{10,}/i.test(l) ||
        l.includes(`:${password}@`),
    );
    expect(leaks).toEqual([]);
  });

  it('names a bad database URL at start without its password', async () => {
    const secret = `pw-${randomUUID()}`;
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [path.resolve(__dirname, '../../../dist/apps/message-api/main.js')],
        {
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: `mysql://app:${secret}@db/realchat` },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('error', reject);
      child.once('exit', () => resolve(out));
    });
    expect(stderr).toContain('DATABASE_URL="mysql://app:***@db/realchat"');
    expect(stderr).not.toContain(secret);
  });
});
