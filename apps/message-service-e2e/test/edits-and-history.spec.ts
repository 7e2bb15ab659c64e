import { randomUUID } from 'node:crypto';
import { EventType, SyncMessagesResponse } from '@realchat/proto';
import {
  DeletionMode,
  EventCollector,
  failure,
  freshDatabase,
  query,
  Stack,
  status,
  testTopic,
} from '@realchat/testing';

/** EditMessage and ReadHistory on the built apps: two message-api instances, a relay, Kafka. */
describe('edits and history (two message-api instances)', () => {
  let stack: Stack;
  let db: string;
  let topic: string;
  let events: EventCollector;

  beforeAll(async () => {
    db = await freshDatabase('e2e_edits');
    topic = testTopic('e2e-edits');
    [stack, events] = await Promise.all([
      Stack.start({ databaseUrl: db, messageApis: 2, relays: 1, topic }),
      EventCollector.start(topic),
    ]);
  });
  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  /** admin is ADMIN; alice and bob are MEMBERs; eve is in no conversation. */
  async function conversation(): Promise<string> {
    const { conversation } = await stack.conversationApi().create(['admin', 'alice', 'bob']);
    return conversation!.conversationId;
  }
  const send = (c: string, content: string, api = 0, sender = 'alice') =>
    stack
      .messageApi(api)
      .send(sender, { conversationId: c, senderUserId: sender, content })
      .then((r) => r.message!);

  describe('authorization matrix of EditMessage', () => {
    let c: string;
    let messageId: string;
    beforeAll(async () => {
      c = await conversation();
      messageId = (await send(c, 'as sent')).messageId;
    });
    const edit = (caller: string | null, editor: string, conversationId = c) =>
      stack
        .messageApi(1)
        .edit(caller, { conversationId, messageId, editorUserId: editor, content: `by ${editor}` });

    it.each([
      ['no x-user-id', () => edit(null, 'alice'), status.UNAUTHENTICATED],
      ['x-user-id differs from the editor', () => edit('bob', 'alice'), status.PERMISSION_DENIED],
      ['another member edits', () => edit('bob', 'bob'), status.PERMISSION_DENIED],
      ['an ADMIN edits', () => edit('admin', 'admin'), status.PERMISSION_DENIED],
      ['a non-participant edits', () => edit('eve', 'eve'), status.PERMISSION_DENIED],
      [
        'the sender, in another conversation',
        () => edit('alice', 'alice', `x-${randomUUID()}`),
        status.NOT_FOUND,
      ],
      [
        'a non-participant reads history',
        () => stack.messageApi().history('eve', { conversationId: c }),
        status.PERMISSION_DENIED,
      ],
      [
        'history without x-user-id',
        () => stack.messageApi().history(null, { conversationId: c }),
        status.UNAUTHENTICATED,
      ],
    ] as const)('%s: %s', async (_name, attempt, code) => {
      expect((await failure(attempt())).code).toBe(code);
    });

    it('lets the sender edit, and only the sender', async () => {
      const edited = (await edit('alice', 'alice')).message!;
      expect(edited).toMatchObject({ messageId, content: 'by alice', version: 2 });
      const page = await stack.messageApi().history('bob', { conversationId: c });
      expect(page.messages[0]).toMatchObject({ messageId, content: 'by alice', version: 2 });
    });
  });

  it('an edit takes a number, reaches sync and history, and is refused once deleted', async () => {
    const c = await conversation();
    const [a, api1] = [stack.messageApi(0), stack.messageApi(1)];
    const m = await send(c, 'helo');
    await send(c, 'second');
    const before = await a.sync('bob', { conversationId: c });
    const edited = (
      await api1.edit('alice', {
        conversationId: c,
        messageId: m.messageId,
        editorUserId: 'alice',
        content: 'hello',
        metadataJson: '{"fixed":true}',
        expectedVersion: 1,
      })
    ).message!;
    expect(edited).toMatchObject({ sequence: 1, version: 2, editSequence: 3, content: 'hello' });
    expect(edited.editedAt).toBeInstanceOf(Date);

    // A client that synced past the message learns of the edit from sync, by its number.
    const after = await a.sync('bob', {
      conversationId: c,
      afterSequence: before.nextAfterSequence,
    });
    expect(after.messages).toEqual([]);
    expect(
      after.edits.map((e) => [e.editSequence, e.message?.content, e.message?.version]),
    ).toEqual([[3, 'hello', 2]]);
    expect(after).toMatchObject({ nextAfterSequence: 3, latestSequence: 3, hasMore: false });

    // The retry of the same edit (same expected version) changes nothing and answers the same.
    const retry = await a.edit('alice', {
      conversationId: c,
      messageId: m.messageId,
      editorUserId: 'alice',
      content: 'hello',
      metadataJson: '{"fixed":true}',
      expectedVersion: 1,
    });
    expect(retry.message).toEqual(edited);

    // A different edit on the stale version is ABORTED with the current version in the details.
    const stale = await failure(
      a.edit('alice', {
        conversationId: c,
        messageId: m.messageId,
        editorUserId: 'alice',
        content: 'hello!',
        expectedVersion: 1,
      }),
    );
    expect(stale).toMatchObject({
      code: status.ABORTED,
      info: { reason: 'VERSION_MISMATCH', metadata: { current_version: '2' } },
    });

    await a.delete('alice', {
      conversationId: c,
      messageId: m.messageId,
      actorUserId: 'alice',
      mode: DeletionMode.DELETION_MODE_SOFT,
    });
    const deleted = await failure(
      api1.edit('alice', {
        conversationId: c,
        messageId: m.messageId,
        editorUserId: 'alice',
        content: 'again',
      }),
    );
    expect(deleted.code).toBe(status.FAILED_PRECONDITION);
    // Refused and retried edits took no numbers: send 1, send 2, edit 3, deletion 4.
    expect((await a.history('bob', { conversationId: c })).latestSequence).toBe(4);
  });

  it('an old client that reads only messages never loops, misses or sees stale content', async () => {
    const c = await conversation();
    const api = stack.messageApi();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(c, `m${i}`)).messageId);
    // Many edits of old messages between new messages: the old client must still get every
    // new message, in pages of 2, advancing to the largest Message.sequence it saw.
    for (let round = 0; round < 3; round++) {
      for (const id of ids.slice(0, 3))
        await api.edit('alice', {
          conversationId: c,
          messageId: id,
          editorUserId: 'alice',
          content: `${id} r${round}`,
        });
      ids.push((await send(c, `new ${round}`)).messageId);
    }
    const seen = new Map<string, string>();
    let cursor = 0;
    for (let calls = 0; ; calls++) {
      expect(calls).toBeLessThan(50);
      // What an old client decodes: the fields it knows (edits are an unknown field to it).
      const page: Pick<SyncMessagesResponse, 'messages'> = await api.sync('bob', {
        conversationId: c,
        afterSequence: cursor,
        pageSize: 2,
      });
      if (page.messages.length === 0) break;
      for (const m of page.messages) {
        expect(seen.has(m.messageId)).toBe(false);
        seen.set(m.messageId, m.content);
      }
      cursor = Math.max(...page.messages.map((m) => m.sequence));
    }
    expect([...seen.keys()]).toEqual(ids);
    // Every message it got was in its current state when it was read: none older than now.
    const now = await api.history('bob', { conversationId: c });
    for (const m of now.messages) expect(seen.get(m.messageId)).toBe(m.content);
  });

  it('publishes MESSAGE_EDITED to Kafka in order with sends and deletes', async () => {
    const c = await conversation();
    const api = stack.messageApi(1);
    const m = await send(c, 'one');
    await api.edit('alice', {
      conversationId: c,
      messageId: m.messageId,
      editorUserId: 'alice',
      content: 'one!',
    });
    await send(c, 'two', 0);
    await api.delete('admin', {
      conversationId: c,
      messageId: m.messageId,
      actorUserId: 'admin',
      mode: DeletionMode.DELETION_MODE_HARD,
    });
    await events.waitUntil('four events of the conversation', () => events.forKey(c).length >= 4);
    const mine = events.forKey(c);
    expect(mine.map((e) => [e.headers['event-type'], e.position])).toEqual([
      ['EVENT_TYPE_MESSAGE_SENT', 1],
      ['EVENT_TYPE_MESSAGE_EDITED', 2],
      ['EVENT_TYPE_MESSAGE_SENT', 3],
      ['EVENT_TYPE_MESSAGE_DELETED', 4],
    ]);
    expect(mine[1].envelope.eventType).toBe(EventType.EVENT_TYPE_MESSAGE_EDITED);
    expect(mine[1].edited).toMatchObject({
      editorUserId: 'alice',
      message: { messageId: m.messageId, content: 'one!', version: 2, editSequence: 2 },
    });
    // A hard delete erases the edited content too: no version of it is left in the database.
    const [row] = await query<{ content: string | null; metadata_json: string | null }>(
      db,
      'SELECT content, metadata_json FROM messages WHERE message_id = $1',
      [m.messageId],
    );
    expect(row).toEqual({ content: null, metadata_json: null });
  });

  it('reads history newest first across pages, with has_older and the latest position', async () => {
    const c = await conversation();
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push((await send(c, `h${i}`, i % 2)).messageId);
    const api = stack.messageApi(1);
    const seen: string[] = [];
    let before = 0;
    let latest = -1;
    for (;;) {
      const page = await api.history('bob', {
        conversationId: c,
        beforeSequence: before,
        pageSize: 3,
      });
      if (latest === -1) latest = page.latestSequence;
      seen.push(...page.messages.map((m) => m.messageId));
      if (!page.hasOlder) break;
      before = page.nextBeforeSequence;
    }
    expect(seen).toEqual([...sent].reverse());
    expect(latest).toBe(7);
  });
});
