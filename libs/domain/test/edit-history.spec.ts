import {
  buildHistoryPage,
  buildSyncPage,
  syncedMessage,
  SyncRead,
  DEFAULT_LIMITS,
  DomainError,
  editOutcome,
  EditMessageInput,
  MAX_EDITS_PER_PAGE,
  Message,
  validateEdit,
  validateHistory,
  validateSend,
  VERSION_MISMATCH,
} from '../src';

const id = (seq: number) => `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
const msg = (seq: number): Message =>
  Message.create(
    validateSend(
      {
        conversationId: 'c',
        senderUserId: 'alice',
        idempotencyKey: '',
        messageType: '',
        content: 'v1',
        metadataJson: '',
      },
      DEFAULT_LIMITS,
    ),
    id(seq),
    seq,
    new Date(0),
  );
/** A read of Message entities as the store returns it for sync. */
const read = (r: {
  messages: Message[];
  deletions: Message[];
  edits: Message[];
  latestSequence: number;
}): SyncRead => ({
  messages: r.messages.map(syncedMessage),
  deletions: r.deletions.map(syncedMessage),
  edits: r.edits.map(syncedMessage),
  latestSequence: r.latestSequence,
});

const edit = (over: Partial<EditMessageInput> = {}): EditMessageInput => ({
  conversationId: 'c',
  messageId: id(1),
  editorUserId: 'alice',
  content: 'v2',
  metadataJson: '',
  expectedVersion: 0,
  ...over,
});
const fieldsOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    return (e as DomainError).violations.map((v) => v.field);
  }
  throw new Error('accepted');
};

describe('validateEdit', () => {
  it.each([
    [{ content: '' }, ['content']],
    [{ content: 'a\u0000b' }, ['content']],
    [{ metadataJson: '[1]' }, ['metadata_json']],
    [{ messageId: 'nope' }, ['message_id']],
    [{ expectedVersion: -1 }, ['expected_version']],
    [{ editorUserId: '', conversationId: '' }, ['conversation_id', 'editor_user_id']],
  ])('rejects %j naming %j', (over, fields) => {
    expect(fieldsOf(() => validateEdit(edit(over), DEFAULT_LIMITS))).toEqual(fields);
  });
});

describe('editOutcome', () => {
  const v2 = msg(1).edited('v2', '', { sequence: 5, editedAt: new Date(1) });

  it('applies a change at the expected version or at any version', () => {
    expect(editOutcome(msg(1), edit({ expectedVersion: 1 }))).toBe('apply');
    expect(editOutcome(v2, edit({ content: 'v3' }))).toBe('apply');
    expect(v2.view()).toMatchObject({ version: 2, editSequence: 5, content: 'v2' });
  });

  it('treats a retry of the edit that made the current version as unchanged', () => {
    expect(editOutcome(v2, edit({ expectedVersion: 1 }))).toBe('unchanged');
    expect(editOutcome(v2, edit({ expectedVersion: 0 }))).toBe('unchanged');
  });

  it('is ABORTED with the current version on a mismatch', () => {
    try {
      editOutcome(v2, edit({ content: 'v3', expectedVersion: 1 }));
      throw new Error('accepted');
    } catch (e) {
      expect(e).toMatchObject({
        kind: 'aborted',
        info: { reason: VERSION_MISMATCH, metadata: { current_version: '2' } },
      });
    }
  });

  it('refuses to edit a deleted message', () => {
    const gone = msg(1).deleted({
      sequence: 2,
      deletedAt: new Date(1),
      mode: 'soft',
      actorUserId: 'alice',
    });
    expect(() => editOutcome(gone, edit())).toThrow(
      expect.objectContaining({ kind: 'failed-precondition' }),
    );
  });
});

describe('sync pages with edits', () => {
  it('moves the cursor past edits of old messages', () => {
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 5, pageSize: 10 },
      read({
        messages: [msg(6)],
        deletions: [],
        edits: [msg(1).edited('v2', '', { sequence: 7, editedAt: new Date(1) })],
        latestSequence: 7,
      }),
    );
    expect(page.edits).toEqual([expect.objectContaining({ id: id(1), editSequence: 7 })]);
    expect(page).toMatchObject({ nextAfterSequence: 7, hasMore: false });
  });

  it('stops the cursor at the last edit when edits are capped, dropping deletions beyond', () => {
    const edits = Array.from({ length: MAX_EDITS_PER_PAGE + 1 }, (_, i) =>
      msg(1).edited('x', '', { sequence: 10 + i, editedAt: new Date(1) }),
    );
    const late = msg(2).deleted({
      sequence: 5000,
      deletedAt: new Date(1),
      mode: 'soft',
      actorUserId: 'alice',
    });
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 5, pageSize: 10 },
      read({ messages: [msg(6)], deletions: [late], edits, latestSequence: 6000 }),
    );
    expect(page.edits).toHaveLength(MAX_EDITS_PER_PAGE);
    expect(page.deletions).toEqual([]);
    expect(page).toMatchObject({ nextAfterSequence: 10 + MAX_EDITS_PER_PAGE - 1, hasMore: true });
  });
});

describe('history pages', () => {
  it('reads from the newest when before_sequence is 0 and clamps the page size', () => {
    expect(validateHistory({ conversationId: 'c', beforeSequence: 0, pageSize: 5000 })).toEqual({
      conversationId: 'c',
      beforeSequence: null,
      pageSize: 1000,
    });
    expect(
      fieldsOf(() => validateHistory({ conversationId: '', beforeSequence: -1, pageSize: -1 })),
    ).toEqual(['conversation_id', 'before_sequence', 'page_size']);
  });

  it('says whether older messages exist and where the next page starts', () => {
    const query = { conversationId: 'c', beforeSequence: null, pageSize: 2 };
    const page = buildHistoryPage(query, {
      messages: [msg(9), msg(7), msg(3)],
      latestSequence: 12,
    });
    expect(page.messages.map((m) => m.sequence)).toEqual([9, 7]);
    expect(page).toMatchObject({ nextBeforeSequence: 7, hasOlder: true, latestSequence: 12 });
    const last = buildHistoryPage(
      { ...query, beforeSequence: 7 },
      { messages: [msg(3)], latestSequence: 12 },
    );
    expect(last).toMatchObject({ nextBeforeSequence: 3, hasOlder: false });
  });
});
