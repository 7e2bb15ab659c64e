import { randomUUID } from 'node:crypto';
import { eventually, failure, freshDatabase, Stack, status } from '@realchat/testing';

/** Who may do what: the authorization matrix of the MessageApi. */
describe('authorization matrix', () => {
  let stack: Stack;
  let c: string;
  let other: string;
  let fromBob: string;

  beforeAll(async () => {
    stack = await Stack.start({
      databaseUrl: await freshDatabase('e2e_authz'),
      env: { MEMBERS_CACHE_TTL_MS: '300' },
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

  it('lets the sender and an ADMIN delete', async () => {
    const api = stack.messageApi();
    const own = (
      await api.send('carol', { conversationId: c, senderUserId: 'carol', content: 'mine' })
    ).message!;
    await expect(del('carol', 'carol', own.messageId)).resolves.toBeDefined();
    await expect(del('admin', 'admin', fromBob)).resolves.toBeDefined();
  });

  it("takes a removed participant's access away within the members cache TTL", async () => {
    const conversations = stack.conversationApi();
    const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
    await send('dave', 'dave', room); // dave's membership is now cached
    await conversations.removeParticipant(room, 'admin', 'dave');
    const removedAt = Date.now();
    let code: number | undefined;
    await eventually(
      'the removed participant to be refused',
      async () => {
        code = await send('dave', 'dave', room).then(
          () => undefined,
          (e: { code: number }) => e.code,
        );
        return code !== undefined;
      },
      5000,
      25,
    );
    expect(code).toBe(status.PERMISSION_DENIED);
    expect(Date.now() - removedAt).toBeLessThan(300 + 1000); // TTL plus generous slack
  });
});
