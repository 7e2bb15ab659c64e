import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { DeleteMessageRequest, SendMessageRequest } from '@realchat/proto';
import fc from 'fast-check';
import { freshDatabase, query, Stack } from '@realchat/testing';

/**
 * No input, however malformed, may produce INTERNAL or UNKNOWN, crash a process, or leave a
 * partial write. fast-check throws random and malformed requests (including undecodable bytes
 * and int64 values beyond 2^53) at a real message-api and checks every status code.
 */
const ALLOWED = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.ALREADY_EXISTS,
]);
const SERVICE = '/realchat.message.v1.MessageApi';

describe('malformed input (property-based)', () => {
  let stack: Stack;
  let db: string;
  let raw: Client;
  let conversation: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_fuzz');
    stack = await Stack.start({ databaseUrl: db });
    conversation = (await stack.conversationApi().create(['alice', 'bob'])).conversation!
      .conversationId;
    raw = new Client(`127.0.0.1:${stack.apis[0].port()}`, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    const codes = await stack?.stop();
    expect(codes?.['message-api']).toEqual([0]); // still alive and stopped cleanly
  });

  /** Sends bytes as they are and resolves with the status code. */
  function callRaw(method: string, bytes: Uint8Array, user: string | null): Promise<number> {
    const md = new Metadata();
    if (user !== null) md.set('x-user-id', user);
    return new Promise((resolve) =>
      raw.makeUnaryRequest(
        `${SERVICE}/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        md,
        { deadline: new Date(Date.now() + 10_000) },
        (err) => resolve(err ? err.code : status.OK),
      ),
    );
  }

  const id = () =>
    fc.oneof(
      fc.constant('alice'),
      fc.constant('bob'),
      fc.constant(''),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
    );
  const conversationId = () => fc.oneof(fc.constant('__conversation__'), id());
  const user = () =>
    fc.oneof(
      fc.constant<string | null>(null),
      fc.constant('alice'),
      fc.constant('bob'),
      fc.string({ maxLength: 70 }),
    );
  const text = () =>
    fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ minLength: 16_000, maxLength: 17_000 }),
      fc.constant(''),
    );
  const json = () =>
    fc.oneof(
      fc.constant(''),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 30 }),
      fc.constant('{"a":'),
    );
  const int64 = () => fc.oneof(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), fc.bigInt(-3n, 100n));
  const fill = (c: string) => (c === '__conversation__' ? conversation : c);

  const send = fc.record({
    user: user(),
    req: fc.record({
      conversationId: conversationId(),
      senderUserId: id(),
      idempotencyKey: fc.oneof(fc.constant(''), fc.string({ maxLength: 140 }), fc.constant('k1')),
      messageType: fc.oneof(fc.constant('text'), fc.constant(''), fc.string({ maxLength: 40 })),
      content: text(),
      metadataJson: json(),
    }),
  });
  const sync = fc.record({
    user: user(),
    conversationId: conversationId(),
    after: int64(),
    pageSize: fc.integer(),
  });
  const del = fc.record({
    user: user(),
    req: fc.record({
      conversationId: conversationId(),
      messageId: fc.oneof(fc.uuid(), fc.string()),
      actorUserId: id(),
      mode: fc.integer({ min: -5, max: 10 }),
    }),
  });
  const garbage = fc.record({
    method: fc.constantFrom('SendMessage', 'SyncMessages', 'DeleteMessage'),
    bytes: fc.uint8Array({ maxLength: 300 }),
    user: user(),
  });

  it('answers every request with a status a client can act on', async () => {
    const seen = new Map<number, number>();
    const check = (code: number, what: unknown) => {
      seen.set(code, (seen.get(code) ?? 0) + 1);
      if (!ALLOWED.has(code))
        throw new Error(
          `status ${status[code]} for ${JSON.stringify(what, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 500)}`,
        );
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          send.map((v) => ({ send: v })),
          sync.map((v) => ({ sync: v })),
          del.map((v) => ({ del: v })),
          garbage.map((v) => ({ garbage: v })),
        ),
        async (input) => {
          if ('send' in input) {
            const req = { ...input.send.req, conversationId: fill(input.send.req.conversationId) };
            check(
              await callRaw(
                'SendMessage',
                SendMessageRequest.encode(req).finish(),
                input.send.user,
              ),
              req,
            );
          } else if ('sync' in input) {
            const { after, pageSize, user: u } = input.sync;
            // Encoded by hand: the generated type cannot hold int64 values beyond 2^53.
            const bytes = new BinaryWriter()
              .uint32(10)
              .string(fill(input.sync.conversationId))
              .uint32(16)
              .int64(after)
              .uint32(24)
              .int32(pageSize)
              .finish();
            check(await callRaw('SyncMessages', bytes, u), input.sync);
          } else if ('del' in input) {
            const req = { ...input.del.req, conversationId: fill(input.del.req.conversationId) };
            check(
              await callRaw(
                'DeleteMessage',
                DeleteMessageRequest.encode(req).finish(),
                input.del.user,
              ),
              req,
            );
          } else {
            check(
              await callRaw(input.garbage.method, input.garbage.bytes, input.garbage.user),
              input.garbage,
            );
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    // The property must have exercised both success and refusal.
    expect(seen.get(status.OK)).toBeGreaterThan(0);
    expect(seen.get(status.INVALID_ARGUMENT)).toBeGreaterThan(0);

    // Nothing half-written: every stored message and deletion has exactly its outbox event.
    const [counts] = await query<{ messages: number; deletions: number; events: number }>(
      db,
      `SELECT (SELECT count(*)::int FROM messages) AS messages,
              (SELECT count(*)::int FROM messages WHERE deleted_at IS NOT NULL) AS deletions,
              (SELECT count(*)::int FROM outbox) AS events`,
    );
    expect(counts.events).toBe(counts.messages + counts.deletions);
  });
});
