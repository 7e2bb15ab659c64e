import { Database } from '../src';
import { ConversationStore } from '../src/conversations';
import { testDatabase, uniqueId } from './support';

// The stub's store must never load Prisma: its first query loads the wasm query compiler
// (~90 MB resident, docs/benchmarks.md "Memory: after (issue 9)"). Loading either package in
// this file fails the test.
jest.mock('@prisma/client/runtime/client', () => {
  throw new Error('Prisma client runtime loaded');
});
jest.mock('@prisma/adapter-pg', () => {
  throw new Error('Prisma adapter loaded');
});

let db: Database;
beforeAll(async () => {
  db = await testDatabase(2);
});
afterAll(() => db.close());

it('runs every ConversationStore call without loading Prisma', async () => {
  const store = new ConversationStore(db);
  const c = uniqueId('conv');
  await store.create({
    conversationId: c,
    kind: 'group',
    displayName: 'x',
    avatarUrl: '',
    participants: [{ userId: 'a', role: 'admin' }],
  });
  await store.upsertParticipant(c, 'b', 'member');
  await store.removeParticipant(c, 'a');
  expect(await store.nextSequence(c)).toBe(1);
  expect((await store.listForUser('b')).map((l) => l.conversationId)).toContain(c);
  expect((await store.get(c))?.participants).toEqual([{ userId: 'b', role: 'member' }]);
});
