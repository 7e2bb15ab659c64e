import { Database } from '../src';
import { ConversationStore } from '../src/conversations';
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
});
