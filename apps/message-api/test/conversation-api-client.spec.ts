import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { ConversationApiService, GetConversationResponse, ParticipantRole } from '@realchat/proto';
import { ConversationApiDirectory } from '../src/adapters/conversation-api-client';
import { loadMessageApiConfig } from '../src/config';

/**
 * The Conversation API adapter against a real gRPC server on port 0 that plays the Conversation
 * API (the conversation-stub itself is another app, which this one may not import).
 */
describe('ConversationApiDirectory', () => {
  let server: Server;
  let port: number;
  let members = ['alice', 'bob'];
  let lookups = 0;
  let delayMs = 0;

  beforeAll(async () => {
    server = new Server();
    server.addService(ConversationApiService, {
      getConversation: (
        call: { request: { conversationId: string } },
        cb: (e: unknown, r?: unknown) => void,
      ) => {
        lookups++;
        if (call.request.conversationId === 'missing')
          return cb({ code: status.NOT_FOUND, details: 'no' });
        if (call.request.conversationId === 'malformed')
          return cb({ code: status.INVALID_ARGUMENT, details: 'conversation_id: bad' });
        setTimeout(
          () =>
            cb(
              null,
              GetConversationResponse.fromPartial({
                conversation: {
                  conversationId: call.request.conversationId,
                  participantsWithRoles: members.map((userId, i) => ({
                    userId,
                    role: i === 0 ? ParticipantRole.ADMIN : ParticipantRole.MEMBER,
                  })),
                  participantUserIds: members,
                },
                participantUserIds: members,
              }),
            ),
          delayMs,
        );
      },
      // Answers ranges as v1.2 does, except for conversation "old-api", where it answers like
      // a Conversation API that predates `count` (one number, no first_sequence).
      nextSequence: (
        call: { request: { conversationId: string; count: number } },
        cb: (e: unknown, r?: unknown) => void,
      ) => {
        const n = Math.max(call.request.count, 1);
        if (call.request.conversationId === 'old-api') cb(null, { sequence: 42, firstSequence: 0 });
        else cb(null, { sequence: 41 + n, firstSequence: 42 });
      },
    } as never);
    port = await new Promise((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  });
  afterAll(() => server.forceShutdown());

  const directory = (ttl: number, address = `127.0.0.1:${port}`) =>
    new ConversationApiDirectory({ address, membersCacheTtlMs: ttl, defaultTimeoutMs: 1000 });

  it('reads roles, and caches members for at most the TTL', async () => {
    members = ['alice', 'bob'];
    const d = directory(300);
    const m = await d.members('c1');
    expect(m.roleOf('alice')).toBe('admin');
    expect(m.roleOf('bob')).toBe('member');
    members = ['alice'];
    const before = lookups;
    expect((await d.members('c1')).roleOf('bob')).toBe('member'); // cached
    expect(lookups).toBe(before);
    const deadline = Date.now() + 2000;
    while ((await d.members('c1')).roleOf('bob') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect((await d.members('c1')).roleOf('bob')).toBeUndefined(); // removal visible after the TTL
    d.close();
  });

  it('shares one lookup between concurrent callers', async () => {
    const d = directory(1000);
    delayMs = 50;
    const before = lookups;
    await Promise.all(Array.from({ length: 10 }, () => d.members('c2')));
    expect(lookups - before).toBe(1);
    delayMs = 0;
    d.close();
  });

  it('asks for a range, and takes one number from a Conversation API that predates ranges', async () => {
    const d = directory(0);
    expect(await d.nextSequences('c4', 5)).toEqual({ first: 42, last: 46 });
    expect(await d.nextSequences('old-api', 5)).toEqual({ first: 42, last: 42 });
    expect(await d.nextSequence('c4')).toBe(42);
    d.close();
  });

  it('maps NOT_FOUND, INVALID_ARGUMENT, an unreachable API and a passed deadline to domain errors', async () => {
    const d = directory(0);
    await expect(d.members('missing')).rejects.toMatchObject({ kind: 'not-found' });
    expect(await d.nextSequence('c3')).toBe(42);
    delayMs = 500;
    await expect(d.members('slow', new Date(Date.now() + 50))).rejects.toMatchObject({
      kind: 'deadline-exceeded',
    });
    delayMs = 0;
    await expect(d.members('malformed')).rejects.toMatchObject({
      kind: 'invalid-argument',
      violations: [{ field: 'conversation_id' }],
    });
    d.close();
    const down = directory(0, '127.0.0.1:1');
    await expect(down.members('c4')).rejects.toMatchObject({ kind: 'unavailable' });
    down.close();
  });
});

describe('ConversationApiDirectory shared lookups and cache', () => {
  let server: Server;
  let port: number;
  let lookups = 0;
  const delayMs = 300;

  beforeAll(async () => {
    server = new Server();
    server.addService(ConversationApiService, {
      getConversation: (
        call: { request: { conversationId: string } },
        cb: (e: unknown, r?: unknown) => void,
      ) => {
        lookups++;
        setTimeout(
          () =>
            cb(
              null,
              GetConversationResponse.fromPartial({
                conversation: {
                  conversationId: call.request.conversationId,
                  participantsWithRoles: [{ userId: 'alice', role: ParticipantRole.ADMIN }],
                },
              }),
            ),
          call.request.conversationId.startsWith('slow') ? delayMs : 0,
        );
      },
      nextSequence: (_call: unknown, cb: (e: unknown, r?: unknown) => void) =>
        cb(null, { sequence: 1 }),
    } as never);
    port = await new Promise((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  });
  afterAll(() => server.forceShutdown());

  const directory = (maxCachedConversations?: number) =>
    new ConversationApiDirectory({
      address: `127.0.0.1:${port}`,
      membersCacheTtlMs: 60_000,
      defaultTimeoutMs: 5000,
      maxCachedConversations,
    });
  const inMs = (ms: number) => new Date(Date.now() + ms);
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { kind?: string }) => e.kind,
    );

  it('a caller who joins a lookup keeps its own, later deadline', async () => {
    const d = directory();
    const hasty = outcome(d.members('slow-1', inMs(50)));
    const patient = outcome(d.members('slow-1', inMs(3000)));
    expect(await hasty).toBe('deadline-exceeded');
    expect(await patient).toBe('ok');
    d.close();
  });

  it('a caller who joins a lookup is not held past its own, earlier deadline', async () => {
    const d = directory();
    const patient = outcome(d.members('slow-2', inMs(3000)));
    const hasty = outcome(d.members('slow-2', inMs(50)));
    // The hasty caller is answered before the lookup it joined completes.
    expect(await Promise.race([hasty, patient.then(() => 'lookup finished first')])).toBe(
      'deadline-exceeded',
    );
    expect(await patient).toBe('ok');
    d.close();
  });

  it('evicts the least recently used conversation, not the oldest', async () => {
    const d = directory(2);
    await d.members('c-a');
    await d.members('c-b');
    await d.members('c-a'); // c-a is now the most recently used
    await d.members('c-c'); // evicts c-b
    const before = lookups;
    await d.members('c-a');
    expect(lookups).toBe(before); // still cached
    await d.members('c-b');
    expect(lookups).toBe(before + 1); // was evicted
    d.close();
  });
});

describe('message-api config', () => {
  it('names every invalid variable', () => {
    expect(() =>
      loadMessageApiConfig({ MESSAGE_API_PORT: 'x', MEMBERS_CACHE_TTL_MS: '-1' }),
    ).toThrow(/MESSAGE_API_PORT[\s\S]*DATABASE_URL is required[\s\S]*MEMBERS_CACHE_TTL_MS/);
  });
});
