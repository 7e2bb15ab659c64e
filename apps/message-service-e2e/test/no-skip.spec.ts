import { freshDatabase, MessageApi, Stack } from '@realchat/testing';

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

interface ReaderState {
  cursor: number;
  messages: Map<string, number>; // message id -> sequence
  deletions: Map<string, number>; // message id -> deletion sequence
  violations: string[];
}

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

    const syncOnce = async (api: MessageApi, c: string, state: ReaderState, user: string) => {
      const page = await api.sync(user, {
        conversationId: c,
        afterSequence: state.cursor,
        pageSize: 7,
      });
      for (const m of page.messages) {
        if (m.sequence <= state.cursor)
          state.violations.push(`message ${m.sequence} at or below cursor ${state.cursor}`);
        state.messages.set(m.messageId, m.sequence);
      }
      for (const d of page.deletions) {
        if (d.deletionSequence <= state.cursor)
          state.violations.push(
            `deletion ${d.deletionSequence} at or below cursor ${state.cursor}`,
          );
        state.deletions.set(d.messageId, d.deletionSequence);
      }
      if (page.nextAfterSequence < state.cursor)
        state.violations.push(`cursor went back from ${state.cursor} to ${page.nextAfterSequence}`);
      state.cursor = page.nextAfterSequence;
      return page.hasMore;
    };

    const readers = Array.from({ length: 4 }, (_, r) => ({
      api: apis[r % apis.length],
      user: USERS[r % USERS.length],
      states: conversations.map((): ReaderState => ({
        cursor: 0,
        messages: new Map(),
        deletions: new Map(),
        violations: [],
      })),
    }));
    const reader = async (r: (typeof readers)[number]) => {
      while (!writesDone) {
        for (const [i, c] of conversations.entries()) await syncOnce(r.api, c, r.states[i], r.user);
      }
      // Final catch-up after the last write committed.
      for (const [i, c] of conversations.entries())
        while (await syncOnce(r.api, c, r.states[i], r.user));
    };

    const readersDone = Promise.all(readers.map(reader));
    await Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    writesDone = true;
    await readersDone;

    // The committed history, read once more from the beginning.
    let syncs = 0;
    for (const [i, c] of conversations.entries()) {
      const truth: ReaderState = {
        cursor: 0,
        messages: new Map(),
        deletions: new Map(),
        violations: [],
      };
      while (await syncOnce(apis[0], c, truth, 'alice'));
      expect(truth.violations).toEqual([]);
      for (const r of readers) {
        const got = r.states[i];
        syncs++;
        expect(got.violations).toEqual([]);
        expect([...got.messages.entries()].sort()).toEqual([...truth.messages.entries()].sort());
        expect([...got.deletions.entries()].sort()).toEqual([...truth.deletions.entries()].sort());
        expect(got.cursor).toBe(truth.cursor);
      }
    }
    expect(sends).toBeGreaterThan(100);
    expect(deletes).toBeGreaterThan(5);
    expect(syncs).toBe(CONVERSATIONS * readers.length);
  });
});
