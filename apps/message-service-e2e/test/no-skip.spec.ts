import { freshDatabase, Stack, SyncReader } from '@realchat/testing';

/**
 * The no-skip property: two message-api instances, concurrent senders and deleters on a few
 * conversations, and readers that sync continuously from their last cursor. Every reader must
 * end up with the complete committed history (every message and every deletion), and each
 * reader's cursor must only move forward. If a sequence number could commit after a higher one,
 * a reader that synced in between would miss it for good, and this test would fail.
 */
const DURATION_MS = Number(process.env.NO_SKIP_DURATION_MS ?? 8000);
const CONVERSATIONS = 3;
const USERS = ['alice', 'bob', 'carol'];

describe('no skipped message or deletion under concurrency', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({ databaseUrl: await freshDatabase('e2e_noskip'), messageApis: 2 });
  });
  afterAll(() => stack?.stop());

  it(`holds for ${DURATION_MS} ms of mixed load`, async () => {
    const conversations: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++) {
      conversations.push(
        (await stack.conversationApi().create(USERS)).conversation!.conversationId,
      );
    }
    const apis = [
      stack.messageApi(0),
      stack.messageApi(1),
      stack.messageApi(0),
      stack.messageApi(1),
    ];
    const stopAt = Date.now() + DURATION_MS;
    let writesDone = false;
    const sentByUser = new Map<string, { c: string; id: string }[]>();
    let sends = 0;
    let deletes = 0;

    const writer = async (w: number) => {
      const api = apis[w % apis.length];
      const user = USERS[w % USERS.length];
      const mine = sentByUser.get(user) ?? [];
      sentByUser.set(user, mine);
      while (Date.now() < stopAt) {
        const c = conversations[Math.floor(Math.random() * conversations.length)];
        if (Math.random() < 0.15 && mine.length > 0) {
          const victim = mine.splice(Math.floor(Math.random() * mine.length), 1)[0];
          await api.delete(user, {
            conversationId: victim.c,
            messageId: victim.id,
            actorUserId: user,
          });
          deletes++;
        } else {
          const { message } = await api.send(user, {
            conversationId: c,
            senderUserId: user,
            content: `m${sends}`,
          });
          mine.push({ c, id: message!.messageId });
          sends++;
        }
      }
    };

    const readers = Array.from({ length: 4 }, (_, r) =>
      conversations.map(
        (c) => new SyncReader(apis[r % apis.length], USERS[r % USERS.length], c, 7),
      ),
    );
    const reader = async (states: SyncReader[]) => {
      while (!writesDone) for (const state of states) await state.step();
      // Final catch-up after the last write committed.
      for (const state of states) await state.catchUp();
    };

    const readersDone = Promise.all(readers.map(reader));
    await Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    writesDone = true;
    await readersDone;

    // The committed history, read once more from the beginning.
    let syncs = 0;
    for (const [i, c] of conversations.entries()) {
      const truth = new SyncReader(apis[0], 'alice', c, 7);
      await truth.catchUp();
      expect(truth.violations).toEqual([]);
      for (const states of readers) {
        const got = states[i];
        syncs++;
        expect(got.violations).toEqual([]);
        expect(got.sortedMessages()).toEqual(truth.sortedMessages());
        expect(got.sortedDeletions()).toEqual(truth.sortedDeletions());
        expect(got.cursor).toBe(truth.cursor);
      }
    }
    expect(sends).toBeGreaterThan(100);
    expect(deletes).toBeGreaterThan(5);
    expect(syncs).toBe(CONVERSATIONS * readers.length);
  });
});
