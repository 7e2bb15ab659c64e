import {
  buildSyncPage,
  syncedMessage,
  SyncRead,
  ConversationMembers,
  DEFAULT_LIMITS,
  DomainError,
  MAX_DELETIONS_PER_PAGE,
  Message,
  requireMayDelete,
  validateSend,
  validateSync,
} from '../src';

const draft = validateSend(
  {
    conversationId: 'c',
    senderUserId: 'alice',
    idempotencyKey: '',
    messageType: '',
    content: 'x',
    metadataJson: '',
  },
  DEFAULT_LIMITS,
);
const msg = (seq: number, deletedAt?: number): Message => {
  const m = Message.create(
    draft,
    `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    new Date(0),
  );
  return deletedAt === undefined
    ? m
    : m.deleted({
        sequence: deletedAt,
        deletedAt: new Date(1),
        mode: 'soft',
        actorUserId: 'alice',
      });
};

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

describe('validateSync', () => {
  it.each([
    [0, 100],
    [1, 1],
    [1000, 1000],
    [5000, 1000],
  ])('page_size %i becomes %i', (pageSize, expected) => {
    expect(validateSync({ conversationId: 'c', afterSequence: 0, pageSize }).pageSize).toBe(
      expected,
    );
  });

  it.each([
    [{ afterSequence: -1 }, ['after_sequence']],
    [{ pageSize: -1 }, ['page_size']],
    [{ conversationId: '' }, ['conversation_id']],
  ])('rejects %j', (override, fields) => {
    try {
      validateSync({ conversationId: 'c', afterSequence: 0, pageSize: 0, ...override });
      throw new Error('accepted');
    } catch (e) {
      expect((e as DomainError).violations.map((v) => v.field)).toEqual(fields);
    }
  });
});

describe('buildSyncPage', () => {
  it('has more when a message is beyond the page, cursor at the last message', () => {
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 0, pageSize: 2 },
      read({ messages: [msg(1), msg(2), msg(4)], deletions: [], edits: [], latestSequence: 4 }),
    );
    expect(page.messages.map((m) => m.sequence)).toEqual([1, 2]);
    expect(page).toMatchObject({ nextAfterSequence: 2, hasMore: true, latestSequence: 4 });
  });

  it('includes deletions of old messages and moves the cursor past them', () => {
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 5, pageSize: 10 },
      read({ messages: [msg(6)], deletions: [msg(2, 7)], edits: [], latestSequence: 7 }),
    );
    expect(page.deletions).toEqual([
      expect.objectContaining({ deletionSequence: 7, messageSequence: 2, mode: 'soft' }),
    ]);
    expect(page).toMatchObject({ nextAfterSequence: 7, hasMore: false });
  });

  it('serves deleted messages as tombstones', () => {
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 0, pageSize: 10 },
      read({ messages: [msg(1, 2)], deletions: [msg(1, 2)], edits: [], latestSequence: 2 }),
    );
    expect(page.messages[0]).toMatchObject({ content: '', sequence: 1 });
    expect(page.messages[0].deletedAt).not.toBeNull();
  });

  it('keeps the cursor where it was on an empty page', () => {
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 9, pageSize: 10 },
      read({ messages: [], deletions: [], edits: [], latestSequence: 9 }),
    );
    expect(page).toMatchObject({ nextAfterSequence: 9, hasMore: false, messages: [] });
  });

  it('stops the cursor at the last deletion when deletions are capped', () => {
    const deletions = Array.from({ length: MAX_DELETIONS_PER_PAGE + 1 }, (_, i) => msg(1, 10 + i));
    const page = buildSyncPage(
      { conversationId: 'c', afterSequence: 5, pageSize: 10 },
      read({ messages: [msg(6)], deletions, edits: [], latestSequence: 2000 }),
    );
    expect(page.deletions).toHaveLength(MAX_DELETIONS_PER_PAGE);
    expect(page).toMatchObject({
      nextAfterSequence: 10 + MAX_DELETIONS_PER_PAGE - 1,
      hasMore: true,
    });
  });
});

describe('requireMayDelete', () => {
  const members = ConversationMembers.of('c', [
    { userId: 'alice', role: 'member' },
    { userId: 'bob', role: 'member' },
    { userId: 'root', role: 'admin' },
  ]);
  it.each([
    ['alice', true],
    ['root', true],
    ['bob', false],
  ])("%s may delete alice's message: %s", (actor, allowed) => {
    const role = members.requireParticipant(actor, 'delete');
    const attempt = () => requireMayDelete(msg(1), actor, role);
    if (allowed) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(expect.objectContaining({ kind: 'permission-denied' }));
  });

  it('denies non-participants', () => {
    expect(() => members.requireParticipant('eve', 'sync')).toThrow(
      expect.objectContaining({ kind: 'permission-denied' }),
    );
  });
});
