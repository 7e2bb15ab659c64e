import { MessageEditedEvent, EventEnvelope, EventType } from '@realchat/proto';
import { as, useCasesInMemory } from './fakes/use-cases';

/** EditMessage against in-memory ports. */
describe('EditMessage', () => {
  const conv = 'c-edit';
  const setup = async () => {
    const uc = useCasesInMemory();
    uc.directory.add(conv, { alice: 'member', bob: 'member', ann: 'admin' });
    const m = await uc.send.execute(
      {
        conversationId: conv,
        senderUserId: 'alice',
        idempotencyKey: 'k1',
        messageType: '',
        content: 'helo',
        metadataJson: '{"a":1}',
      },
      as('alice'),
    );
    const edit = (
      editor: string,
      content = 'hello',
      expectedVersion = 0,
      user = editor,
      metadataJson = '{"a":1}',
    ) =>
      uc.edit.execute(
        {
          conversationId: conv,
          messageId: m.id,
          editorUserId: editor,
          content,
          metadataJson,
          expectedVersion,
        },
        as(user),
      );
    return { ...uc, m, edit };
  };

  it('lets the sender edit: a new number, version 2, edited_at and a MESSAGE_EDITED event', async () => {
    const { edit, store, m, directory } = await setup();
    const edited = await edit('alice', 'hello', 1);
    expect(edited).toMatchObject({
      id: m.id,
      sequence: 1,
      content: 'hello',
      version: 2,
      editSequence: 2,
    });
    expect(edited.editedAt).toBeInstanceOf(Date);
    expect(directory.nextSequenceCalls).toHaveLength(2);
    expect(store.events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_MESSAGE_SENT,
      EventType.EVENT_TYPE_MESSAGE_EDITED,
    ]);
    const payload = MessageEditedEvent.decode(
      EventEnvelope.decode(store.events[1].payload).payload,
    );
    expect(payload).toMatchObject({
      editorUserId: 'alice',
      message: { messageId: m.id, content: 'hello', version: 2, editSequence: 2 },
    });
  });

  it.each([
    ['another member', 'bob'],
    ['an ADMIN', 'ann'],
  ])('refuses %s, taking no number', async (_n, editor) => {
    const { edit, store, m, directory } = await setup();
    await expect(edit(editor)).rejects.toMatchObject({ kind: 'permission-denied' });
    expect(directory.nextSequenceCalls).toHaveLength(1);
    expect(store.messages.get(m.id)?.props.content).toBe('helo');
  });

  it('refuses an x-user-id other than the editor and a non-participant', async () => {
    const { edit } = await setup();
    await expect(edit('alice', 'x', 0, 'bob')).rejects.toMatchObject({ kind: 'permission-denied' });
    await expect(edit('eve')).rejects.toMatchObject({ kind: 'permission-denied' });
  });

  it('validates content and metadata like a send', async () => {
    const { edit } = await setup();
    await expect(edit('alice', ' ', 0, 'alice', 'nope')).rejects.toMatchObject({
      kind: 'invalid-argument',
      violations: [
        expect.objectContaining({ field: 'content' }),
        expect.objectContaining({ field: 'metadata_json' }),
      ],
    });
  });

  it('is a no-op for a retry of the same edit: same result, no number, no event', async () => {
    const { edit, store, directory } = await setup();
    const first = await edit('alice', 'hello', 1);
    const retry = await edit('alice', 'hello', 1);
    expect(retry).toEqual(first);
    expect(directory.nextSequenceCalls).toHaveLength(2);
    expect(store.events).toHaveLength(2);
  });

  it('is ABORTED with the current version when the expected version is stale', async () => {
    const { edit, store } = await setup();
    await edit('alice', 'hello', 1);
    await expect(edit('alice', 'hello!', 1)).rejects.toMatchObject({
      kind: 'aborted',
      info: { reason: 'VERSION_MISMATCH', metadata: { current_version: '2' } },
    });
    expect(store.events).toHaveLength(2);
  });

  it('refuses to edit a deleted message with FAILED_PRECONDITION, taking no number', async () => {
    const uc = await setup();
    await uc.delete.execute(
      { conversationId: conv, messageId: uc.m.id, actorUserId: 'alice', mode: 'soft' },
      as('alice'),
    );
    await expect(uc.edit('alice')).rejects.toMatchObject({ kind: 'failed-precondition' });
    expect(uc.directory.nextSequenceCalls).toHaveLength(2); // the send's and the deletion's
  });

  it('a retried send of the edited message still returns it (the send key stays its own)', async () => {
    const { edit, send, m } = await setup();
    await edit('alice', 'hello');
    const again = await send.execute(
      {
        conversationId: conv,
        senderUserId: 'alice',
        idempotencyKey: 'k1',
        messageType: '',
        content: 'helo',
        metadataJson: '{"a":1}',
      },
      as('alice'),
    );
    expect(again).toMatchObject({ id: m.id, content: 'hello', version: 2 });
  });

  it('sync returns the edit after the cursor; hard delete erases the edited content', async () => {
    const { edit, sync, m, store, delete: del } = await setup();
    const before = await sync.execute(
      { conversationId: conv, afterSequence: 0, pageSize: 10 },
      as('bob'),
    );
    await edit('alice', 'hello');
    const after = await sync.execute(
      { conversationId: conv, afterSequence: before.nextAfterSequence, pageSize: 10 },
      as('bob'),
    );
    expect(after.messages).toEqual([]);
    expect(after.edits).toEqual([
      expect.objectContaining({ id: m.id, content: 'hello', editSequence: 2 }),
    ]);
    expect(after.nextAfterSequence).toBe(2);
    await del.execute(
      { conversationId: conv, messageId: m.id, actorUserId: 'alice', mode: 'hard' },
      as('alice'),
    );
    expect(store.messages.get(m.id)?.props).toMatchObject({ content: null, metadataJson: null });
  });
});
