import { Database } from '../src';
import { ConversationStore, NewConversation } from '../src/conversations';
import { testDatabase, uniqueId } from './support';

let db: Database;
let store: ConversationStore;
beforeAll(async () => {
  db = await testDatabase(20);
  store = new ConversationStore(db);
});
afterAll(() => db.close());

describe('ConversationStore', () => {
  it('never hands out a sequence number twice under concurrent callers', async () => {
    const c = uniqueId('conv');
    await store.create({
      conversationId: c,
      kind: 'group',
      displayName: 'x',
      avatarUrl: '',
      participants: [{ userId: 'a', role: 'admin' }],
    });
    // A second client, as a second stub instance would be.
    const otherDb = await testDatabase(10);
    const other = new ConversationStore(otherDb);
    const numbers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? store : other).nextSequence(c)),
    );
    expect(new Set(numbers).size).toBe(200);
    expect(Math.max(...(numbers as number[]))).toBe(200);
    expect(await store.nextSequence(c)).toBe(201);
    await otherDb.close();
  });

  it('returns null for an unknown conversation', async () => {
    expect(await store.nextSequence(uniqueId('nope'))).toBeNull();
  });

  it('refuses a duplicate conversation id', async () => {
    const c = uniqueId('conv');
    const input = {
      conversationId: c,
      kind: 'direct' as const,
      displayName: '',
      avatarUrl: '',
      participants: [],
    };
    await store.create(input);
    await expect(store.create(input)).rejects.toMatchObject({ kind: 'already-exists' });
  });

  it('creates the conversation, its participants in one joining time and its counter at 0', async () => {
    const c = uniqueId('conv');
    const created = await store.create(group(c, ['n', 'm']));
    expect(created).toMatchObject({
      conversationId: c,
      kind: 'group',
      displayName: 'team',
      avatarUrl: 'https://example.com/a.png',
      participants: [
        { userId: 'm', role: 'member' },
        { userId: 'n', role: 'admin' },
      ],
    });
    expect(await store.get(c)).toEqual(created);
    expect(await store.nextSequence(c)).toBe(1);
  });

  it('leaves the first conversation untouched when a duplicate id is refused', async () => {
    const c = uniqueId('conv');
    await store.create(group(c, ['a']));
    await expect(store.create(group(c, ['b', 'c']))).rejects.toMatchObject({
      kind: 'already-exists',
    });
    expect((await store.get(c))?.participants).toEqual([{ userId: 'a', role: 'admin' }]);
  });

  it('changes the role of a participant already there, keeping their place', async () => {
    const c = uniqueId('conv');
    await store.create(group(c, ['a', 'b']));
    await store.upsertParticipant(c, 'b', 'admin');
    await store.upsertParticipant(c, 'a', 'member');
    expect((await store.get(c))?.participants).toEqual([
      { userId: 'a', role: 'member' },
      { userId: 'b', role: 'admin' },
    ]);
  });

  it('removes a participant, and removing one who is not there is not an error', async () => {
    const c = uniqueId('conv');
    await store.create(group(c, ['a', 'b']));
    await store.removeParticipant(c, 'b');
    await store.removeParticipant(c, 'b');
    await store.removeParticipant(c, 'never-joined');
    await store.removeParticipant(uniqueId('no-such-conversation'), 'a');
    expect((await store.get(c))?.participants).toEqual([{ userId: 'a', role: 'admin' }]);
  });

  it("lists a user's conversations oldest first, participants in joining order", async () => {
    const user = uniqueId('user');
    // Ids in the reverse of creation order, and a late joiner whose id sorts first, so that
    // neither order can come from the ids.
    const [older, newer, other] = [uniqueId('z-conv'), uniqueId('a-conv'), uniqueId('conv')];
    await store.create(group(older, [user, 'n', 'm']));
    await store.create(group(newer, ['b', user]));
    await store.create(group(other, ['b']));
    // Time stamps have millisecond precision: set them apart explicitly instead of hoping.
    await db.pool.query(
      `UPDATE stub_conversations SET created_at = now() - interval '3 seconds' WHERE conversation_id = $1`,
      [older],
    );
    await db.pool.query(
      `UPDATE stub_participants SET joined_at = now() - interval '3 seconds' WHERE conversation_id = $1`,
      [older],
    );
    await store.upsertParticipant(older, 'a-late', 'member');

    const listed = await store.listForUser(user);
    expect(listed.map((l) => l.conversationId)).toEqual([older, newer]);
    // Those created with the conversation share one joining time: by id among themselves.
    expect(listed[0].participants.map((p) => p.userId)).toEqual(['m', 'n', user, 'a-late']);
    expect(await store.listForUser(uniqueId('nobody'))).toEqual([]);
  });
});

/** A group conversation; the first user is its admin, as the stub's rules make it. */
function group(conversationId: string, users: string[]): NewConversation {
  return {
    conversationId,
    kind: 'group',
    displayName: 'team',
    avatarUrl: 'https://example.com/a.png',
    participants: users.map((userId, i) => ({ userId, role: i === 0 ? 'admin' : 'member' })),
  };
}
