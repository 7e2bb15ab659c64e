import { randomUUID } from 'node:crypto';
import { DeletionMode, eventually, failure, freshDatabase, Stack, status } from '@realchat/testing';

/** Participants are cached this long (MEMBERS_CACHE_TTL_MS); the cache test bounds it. */
const TTL_MS = 2000;

/** Who may do what: the authorization matrix of the MessageApi. */
describe('authorization matrix', () => {
  let stack: Stack;
  let c: string;
  let other: string;
  let fromBob: string;

  beforeAll(async () => {
    stack = await Stack.start({
      databaseUrl: await freshDatabase('e2e_authz'),
      env: { MEMBERS_CACHE_TTL_MS: String(TTL_MS) },
    });
    const conversations = stack.conversationApi();
    // admin is ADMIN (first user); bob and carol are MEMBERs; eve is in no conversation.
    c = (await conversations.create(['admin', 'bob', 'carol'])).conversation!.conversationId;
    other = (await conversations.create(['admin', 'bob'])).conversation!.conversationId;
    fromBob = (
      await stack
        .messageApi()
        .send('bob', { conversationId: c, senderUserId: 'bob', content: 'hi' })
    ).message!.messageId;
  });
  afterAll(() => stack?.stop());

  const send = (caller: string | null, sender: string, conversationId = c) =>
    stack.messageApi().send(caller, { conversationId, senderUserId: sender, content: 'x' });
  const del = (caller: string | null, actor: string, messageId: string, conversationId = c) =>
    stack.messageApi().delete(caller, { conversationId, messageId, actorUserId: actor });

  it.each([
    ['no x-user-id', () => send(null, 'bob'), status.UNAUTHENTICATED],
    ['x-user-id differs from sender', () => send('carol', 'bob'), status.PERMISSION_DENIED],
    ['non-participant sends', () => send('eve', 'eve'), status.PERMISSION_DENIED],
    [
      'send to an unknown conversation',
      () => send('bob', 'bob', `nope-${randomUUID()}`),
      status.NOT_FOUND,
    ],
    [
      'non-participant syncs',
      () => stack.messageApi().sync('eve', { conversationId: c }),
      status.PERMISSION_DENIED,
    ],
    [
      'sync without x-user-id',
      () => stack.messageApi().sync(null, { conversationId: c }),
      status.UNAUTHENTICATED,
    ],
    ['delete without x-user-id', () => del(null, 'bob', fromBob), status.UNAUTHENTICATED],
    [
      // The caller is checked before anything about the request (no field errors for strangers).
      'delete without x-user-id and with an invalid mode',
      () =>
        stack.messageApi().delete(null, {
          conversationId: c,
          messageId: fromBob,
          actorUserId: 'bob',
          mode: 7 as DeletionMode,
        }),
      status.UNAUTHENTICATED,
    ],
    ['another member deletes', () => del('carol', 'carol', fromBob), status.PERMISSION_DENIED],
    ['x-user-id differs from actor', () => del('carol', 'bob', fromBob), status.PERMISSION_DENIED],
    ['non-participant deletes', () => del('eve', 'eve', fromBob), status.PERMISSION_DENIED],
    [
      'delete a message of another conversation',
      () => del('bob', 'bob', fromBob, other),
      status.NOT_FOUND,
    ],
    ['delete an unknown message', () => del('bob', 'bob', randomUUID()), status.NOT_FOUND],
  ] as const)('%s: %s', async (_name, attempt, code) => {
    expect((await failure(attempt())).code).toBe(code);
  });

  it('lets the sender and an ADMIN delete, and the deletions reach sync', async () => {
    const api = stack.messageApi();
    const own = (
      await api.send('carol', { conversationId: c, senderUserId: 'carol', content: 'mine' })
    ).message!;
    const before = await api.sync('bob', { conversationId: c });
    await del('carol', 'carol', own.messageId);
    await del('admin', 'admin', fromBob);
    // Deleted for real: every participant learns of both deletions, and gets tombstones.
    const after = await api.sync('bob', {
      conversationId: c,
      afterSequence: before.nextAfterSequence,
    });
    expect(after.deletions.map((d) => d.messageId).sort()).toEqual([own.messageId, fromBob].sort());
    const all = await api.sync('bob', { conversationId: c });
    for (const id of [own.messageId, fromBob]) {
      expect(all.messages.find((m) => m.messageId === id)).toMatchObject({ content: '' });
      expect(all.messages.find((m) => m.messageId === id)?.deletedAt).toBeDefined();
    }
  });

  it("takes a removed participant's access away after the members cache TTL, not before", async () => {
    const conversations = stack.conversationApi();
    const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
    // dave's membership is cached by this send, somewhere between its start and its end.
    const cachedFrom = Date.now();
    await send('dave', 'dave', room);
    const cachedBy = Date.now();
    await conversations.removeParticipant(room, 'admin', 'dave');
    const attempts: { start: number; end: number; code: number }[] = [];
    await eventually(
      'the removed participant to be refused',
      async () => {
        const start = Date.now();
        const code = await send('dave', 'dave', room).then(
          () => status.OK,
          (e: { code: number }) => e.code,
        );
        attempts.push({ start, end: Date.now(), code });
        return code !== status.OK;
      },
      TTL_MS * 4,
      25,
    );
    const refused = attempts.at(-1)!;
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    // The cache is used: right after the removal dave could still send...
    expect(attempts[0].code).toBe(status.OK);
    // ...no refusal before the TTL had passed since the entry was cached...
    expect(refused.end).toBeGreaterThanOrEqual(cachedFrom + TTL_MS);
    // ...and the refusal came within the TTL plus half a TTL of slack (polling, a loaded machine),
    // so an entry kept for twice the TTL would fail this.
    expect(refused.start).toBeLessThanOrEqual(cachedBy + TTL_MS * 1.5);
  });
});
