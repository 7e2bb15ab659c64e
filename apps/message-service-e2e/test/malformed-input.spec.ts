import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { fieldViolationsOf } from '@realchat/platform';
import { DeleteMessageRequest, SendMessageRequest, SendMessageResponse } from '@realchat/proto';
import fc from 'fast-check';
import { freshDatabase, outboxMismatches, Stack } from '@realchat/testing';
import { Expected, MessageApiModel, Method } from './api-model';

/**
 * No input, however malformed, may produce INTERNAL or UNKNOWN, crash a process, or leave a
 * partial write; and every request gets exactly the answer the contract gives it. fast-check
 * throws random and malformed requests (including undecodable bytes and int64 values beyond
 * 2^53) at a real message-api; a model (api-model.ts: the generated decoders, the domain's
 * validators and the documented order of checks) computes each request's status and, for
 * INVALID_ARGUMENT, the fields its google.rpc.BadRequest must name.
 */
const SERVICE = '/realchat.message.v1.MessageApi';

describe('malformed input (property-based)', () => {
  let stack: Stack;
  let db: string;
  let raw: Client;
  let conversation: string;
  let model: MessageApiModel;

  beforeAll(async () => {
    db = await freshDatabase('e2e_fuzz');
    stack = await Stack.start({ databaseUrl: db });
    conversation = (await stack.conversationApi().create(['alice', 'bob'])).conversation!
      .conversationId;
    model = new MessageApiModel(conversation, 'alice', ['bob']);
    raw = new Client(`127.0.0.1:${stack.apis[0].port()}`, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    const codes = await stack?.stop();
    expect(codes?.['message-api']).toEqual([0]); // still alive and stopped cleanly
  });

  /** Sends bytes as they are; resolves with the status, field violations and response bytes. */
  function callRaw(
    method: string,
    bytes: Uint8Array,
    user: string | null,
  ): Promise<{ code: number; fields: string[]; response?: Buffer }> {
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
        (err, response?: Buffer) =>
          resolve(
            err
              ? { code: err.code, fields: fieldViolationsOf(err.metadata).map((v) => v.field) }
              : { code: status.OK, fields: [], response },
          ),
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
  // Mostly accepted sends, from a few keys and payloads: replays and reused keys happen often.
  const wellFormedSend = fc.constantFrom('alice', 'bob').chain((u) =>
    fc.record({
      user: fc.constant<string | null>(u),
      req: fc.record({
        conversationId: fc.constant('__conversation__'),
        senderUserId: fc.constant(u),
        idempotencyKey: fc.constantFrom('', 'k1', 'k2'),
        messageType: fc.constant('text'),
        content: fc.constantFrom('a', 'b'),
        metadataJson: fc.constantFrom('', '{"x":1}'),
      }),
    }),
  );
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
      messageId: fc.oneof(fc.constant('__sent__'), fc.uuid(), fc.string()),
      actorUserId: id(),
      mode: fc.integer({ min: -5, max: 10 }),
    }),
  });
  const history = fc.record({
    user: user(),
    conversationId: conversationId(),
    before: int64(),
    pageSize: fc.integer(),
  });
  // Edits of the last sent message (often by its sender, so that versions, retries, stale
  // expected versions and deleted messages all happen) and of anything else.
  const edit = fc.record({
    user: user(),
    conversationId: conversationId(),
    messageId: fc.oneof(fc.constant('__sent__'), fc.constant('__sent__'), fc.uuid(), fc.string()),
    editor: id(),
    content: fc.oneof(fc.constantFrom('a', 'b', 'c'), text()),
    metadataJson: fc.oneof(fc.constantFrom('', '{"x":1}'), json()),
    expectedVersion: fc.oneof(fc.constant(0n), fc.bigInt(0n, 4n), int64()),
  });
  // Well-formed edits and deletes of the last sent message by alice or bob (one of them sent
  // it): retries, stale versions and edits of deleted messages happen often.
  const wellFormedEdit = fc.constantFrom('alice', 'bob').chain((u) =>
    fc.record({
      user: fc.constant<string | null>(u),
      conversationId: fc.constant('__conversation__'),
      messageId: fc.constant('__sent__'),
      editor: fc.constant(u),
      content: fc.constantFrom('a', 'b', 'c'),
      metadataJson: fc.constantFrom('', '{"x":1}'),
      expectedVersion: fc.bigInt(0n, 3n),
    }),
  );
  const wellFormedDelete = fc.constantFrom('alice', 'bob').chain((u) =>
    fc.record({
      user: fc.constant<string | null>(u),
      req: fc.record({
        conversationId: fc.constant('__conversation__'),
        messageId: fc.constant('__sent__'),
        actorUserId: fc.constant(u),
        mode: fc.constantFrom(0, 1, 2),
      }),
    }),
  );
  const garbage = fc.record({
    method: fc.constantFrom(
      'SendMessage',
      'SyncMessages',
      'DeleteMessage',
      'EditMessage',
      'ReadHistory',
    ),
    bytes: fc.uint8Array({ maxLength: 300 }),
    user: user(),
  });

  it('answers every request exactly as the contract says, naming every bad field', async () => {
    const seen = new Map<number, number>();
    const check = async (method: Method, bytes: Uint8Array, user: string | null, what: unknown) => {
      const expected: Expected = model.expect(method, bytes, user);
      const actual = await callRaw(method, bytes, user);
      seen.set(actual.code, (seen.get(actual.code) ?? 0) + 1);
      const got = { code: status[actual.code], fields: [...actual.fields].sort() };
      const want = { code: status[expected.code], fields: [...expected.fields].sort() };
      if (JSON.stringify(got) !== JSON.stringify(want))
        throw new Error(
          `${method} as ${JSON.stringify(user)}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)} for ${JSON.stringify(what, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 500)}`,
        );
      if (actual.code === status.OK)
        model.accepted(
          method,
          bytes,
          method === 'SendMessage'
            ? SendMessageResponse.decode(actual.response!).message?.messageId
            : undefined,
        );
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          send.map((v) => ({ send: v })),
          wellFormedSend.map((v) => ({ send: v })),
          sync.map((v) => ({ sync: v })),
          del.map((v) => ({ del: v })),
          history.map((v) => ({ history: v })),
          edit.map((v) => ({ edit: v })),
          wellFormedEdit.map((v) => ({ edit: v })),
          wellFormedDelete.map((v) => ({ del: v })),
          garbage.map((v) => ({ garbage: v })),
        ),
        async (input) => {
          if ('send' in input) {
            const req = { ...input.send.req, conversationId: fill(input.send.req.conversationId) };
            await check(
              'SendMessage',
              SendMessageRequest.encode(req).finish(),
              input.send.user,
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
            await check('SyncMessages', bytes, u, input.sync);
          } else if ('del' in input) {
            const messageId =
              input.del.req.messageId === '__sent__'
                ? (model.lastMessageId ?? '')
                : input.del.req.messageId;
            const req = {
              ...input.del.req,
              messageId,
              conversationId: fill(input.del.req.conversationId),
            };
            await check(
              'DeleteMessage',
              DeleteMessageRequest.encode(req).finish(),
              input.del.user,
              req,
            );
          } else if ('history' in input) {
            const { before, pageSize, user: u } = input.history;
            const bytes = new BinaryWriter()
              .uint32(10)
              .string(fill(input.history.conversationId))
              .uint32(16)
              .int64(before)
              .uint32(24)
              .int32(pageSize)
              .finish();
            await check('ReadHistory', bytes, u, input.history);
          } else if ('edit' in input) {
            const e = input.edit;
            const messageId =
              e.messageId === '__sent__' ? (model.lastMessageId ?? '') : e.messageId;
            // A user who edits their own message is the common case: use the caller as editor.
            const editor =
              e.editor === 'alice' || e.editor === 'bob' ? (e.user ?? e.editor) : e.editor;
            const bytes = new BinaryWriter()
              .uint32(10)
              .string(fill(e.conversationId))
              .uint32(18)
              .string(messageId)
              .uint32(26)
              .string(editor)
              .uint32(34)
              .string(e.content)
              .uint32(42)
              .string(e.metadataJson)
              .uint32(48)
              .int64(e.expectedVersion)
              .finish();
            await check('EditMessage', bytes, e.user, { ...e, messageId, editor });
          } else {
            const { method, bytes, user: u } = input.garbage;
            await check(method, bytes, u, input.garbage);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    // The property must have exercised every kind of answer.
    for (const code of [
      status.OK,
      status.INVALID_ARGUMENT,
      status.UNAUTHENTICATED,
      status.PERMISSION_DENIED,
      status.NOT_FOUND,
      status.ALREADY_EXISTS,
      status.FAILED_PRECONDITION, // an edit of a deleted message
      status.ABORTED, // an edit at a stale expected_version
    ])
      expect([status[code], (seen.get(code) ?? 0) > 0]).toEqual([status[code], true]);

    // Nothing half-written: every stored change has exactly its outbox event, carrying it.
    expect(await outboxMismatches(db)).toEqual([]);
  });
});
