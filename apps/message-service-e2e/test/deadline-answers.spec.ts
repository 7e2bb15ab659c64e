import { randomUUID } from 'node:crypto';
import {
  freshDatabase,
  holdConversationLock,
  MessageApi,
  sendWithDeadline,
  Stack,
  status,
} from '@realchat/testing';

/** More than nghttp2's burst of 1,000 client resets that Node's HTTP/2 server tolerates. */
const CALLS = 1500;
const CONCURRENT = 100;
const DEADLINE_MS = 150;

/**
 * The server answers DEADLINE_EXCEEDED itself, a margin before the client's deadline
 * (libs/platform grpc-unary.ts): a client whose own timer fires first cancels with an HTTP/2
 * RST_STREAM, and after about 1,000 of those Node's HTTP/2 server closes the connection with
 * INTERNAL_ERROR, failing every call on it with INTERNAL. Sends that cannot start (their
 * conversation's lock is held) must each get DEADLINE_EXCEEDED, on one connection, never
 * INTERNAL, and the connection must still serve afterwards.
 */
describe('calls that cannot finish before their deadline', () => {
  let stack: Stack;
  let db: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_deadline_answers');
    stack = await Stack.start({ databaseUrl: db });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('are answered DEADLINE_EXCEEDED by the server, and the connection survives', async () => {
    const api = new MessageApi(`127.0.0.1:${stack.apis[0].port()}`);
    const c = (await stack.conversationApi().create(['ann', 'ben'])).conversation!.conversationId;
    const send = (deadline: Date) =>
      sendWithDeadline(
        api,
        'ann',
        { conversationId: c, senderUserId: 'ann', idempotencyKey: randomUUID(), content: 'x' },
        deadline,
      );
    expect((await send(new Date(Date.now() + 10_000))).code).toBe(status.OK); // connected
    const lock = await holdConversationLock(db, c);
    const codes: Record<string, number> = {};
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENT }, async () => {
          while (next++ < CALLS) {
            const { code } = await send(new Date(Date.now() + DEADLINE_MS));
            codes[status[code]] = (codes[status[code]] ?? 0) + 1;
          }
        }),
      );
    } finally {
      await lock.release();
    }
    expect(codes).toEqual({ DEADLINE_EXCEEDED: CALLS });
    // The same channel still works.
    const after = await send(new Date(Date.now() + 10_000));
    expect(after).toEqual({ code: status.OK, sequence: 2 });
    api.close();
  }, 120_000);
});
