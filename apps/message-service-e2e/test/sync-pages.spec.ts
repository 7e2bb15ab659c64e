import { MessageApi, query, freshDatabase, Stack } from '@realchat/testing';

/**
 * The page limits of SyncMessages through the real API and its SQL (README, sync-contract.md):
 * page_size 0 means 100, larger than 1000 is clamped to 1000, and more than 1000 deletions
 * between two messages stop the cursor at the 1000th deletion without skipping any. The rows are
 * written with SQL (thousands of sends would be slow); every read goes through SyncMessages.
 */
describe('sync page limits', () => {
  let stack: Stack;
  let db: string;
  let api: MessageApi;

  beforeAll(async () => {
    db = await freshDatabase('e2e_sync_pages');
    stack = await Stack.start({ databaseUrl: db });
    api = stack.messageApi();
  });
  afterAll(() => stack?.stop());

  /** A conversation with messages at sequences `from..to` written directly. */
  async function conversationWithMessages(from: number, to: number): Promise<string> {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    await addMessages(c, from, to);
    return c;
  }
  async function addMessages(c: string, from: number, to: number): Promise<void> {
    await query(
      db,
      `INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type,
                             content, metadata_json, idempotency_key, payload_hash, sent_at)
       SELECT gen_random_uuid(), $1, 'alice', s, 'text', 'm' || s, '', NULL, 'test', now()
       FROM generate_series($2::int, $3::int) s`,
      [c, from, to],
    );
  }

  it('page_size 0 means 100, and more than 1000 is clamped to 1000', async () => {
    const c = await conversationWithMessages(1, 1100);
    const byDefault = await api.sync('bob', { conversationId: c, pageSize: 0 });
    expect(byDefault.messages.map((m) => m.sequence)).toEqual(range(1, 100));
    expect(byDefault).toMatchObject({
      nextAfterSequence: 100,
      hasMore: true,
      latestSequence: 1100,
    });
    for (const pageSize of [1000, 1001, 5000, 2 ** 31 - 1]) {
      const page = await api.sync('bob', { conversationId: c, pageSize });
      expect([pageSize, page.messages.length, page.nextAfterSequence, page.hasMore]).toEqual([
        pageSize,
        1000,
        1000,
        true,
      ]);
    }
    const rest = await api.sync('bob', { conversationId: c, afterSequence: 1000, pageSize: 5000 });
    expect(rest.messages.map((m) => m.sequence)).toEqual(range(1001, 1100));
    expect(rest).toMatchObject({ nextAfterSequence: 1100, hasMore: false });
  });

  it('more than 1000 deletions between two messages: the cursor stops at the 1000th, none skipped', async () => {
    // Messages 1..1100; messages 1..1050 deleted at 1101..2150; one more message at 2151.
    const c = await conversationWithMessages(1, 1100);
    await query(
      db,
      `UPDATE messages SET deleted_at = now(), deletion_sequence = sequence + 1100,
              deletion_mode = 'soft', deleted_by = 'alice'
       WHERE conversation_id = $1 AND sequence <= 1050`,
      [c],
    );
    await addMessages(c, 2151, 2151);

    const first = await api.sync('bob', { conversationId: c, afterSequence: 1100, pageSize: 10 });
    expect(first.deletions.map((d) => d.deletionSequence)).toEqual(range(1101, 2100));
    expect(first.messages.map((m) => m.sequence)).toEqual([2151]); // the next message, always
    expect(first).toMatchObject({ nextAfterSequence: 2100, hasMore: true, latestSequence: 2151 });
    const second = await api.sync('bob', {
      conversationId: c,
      afterSequence: first.nextAfterSequence,
      pageSize: 10,
    });
    expect(second.deletions.map((d) => d.deletionSequence)).toEqual(range(2101, 2150));
    expect(second.messages.map((m) => m.sequence)).toEqual([2151]); // repeats: clients upsert
    expect(second).toMatchObject({ nextAfterSequence: 2151, hasMore: false });

    // A client's loop from the start sees every change exactly once per position, and ends.
    const messages = new Set<number>();
    const deletions: number[] = [];
    let cursor = 0;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(20);
      const page = await api.sync('bob', {
        conversationId: c,
        afterSequence: cursor,
        pageSize: 1000,
      });
      for (const m of page.messages) messages.add(m.sequence);
      deletions.push(...page.deletions.map((d) => d.deletionSequence));
      expect(page.nextAfterSequence).toBeGreaterThan(cursor);
      cursor = page.nextAfterSequence;
      if (!page.hasMore) break;
    }
    expect([...messages].sort((a, b) => a - b)).toEqual([...range(1, 1100), 2151]);
    expect(deletions).toEqual(range(1101, 2150));
    expect(cursor).toBe(2151);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
