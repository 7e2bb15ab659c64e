import { randomUUID } from 'node:crypto';
import { Message, validateHistory, validateSync } from '@realchat/domain';
import { Database } from '../src';
import { ConversationStore } from '../src/conversations';
import { MessageStore, PgConversationTx } from '../src/messages';
import { newMessage, testDatabase, uniqueId } from './support';

let db: Database;
let store: MessageStore;
beforeAll(async () => {
  db = await testDatabase();
  store = new MessageStore(db);
});
afterAll(() => db.close());

const event = (conversationId: string) => ({
  eventId: randomUUID(),
  conversationId,
  eventType: 10,
  schemaVersion: 1,
  payload: new Uint8Array([1, 2, 3]),
});

describe('MessageStore', () => {
  it('stores a message with its outbox event in one transaction', async () => {
    const c = uniqueId('conv');
    const m = newMessage(c, 1, 'hello', 'key-1');
    await store.inConversation(c, {}, (tx) => tx.insertMessages([{ message: m, event: event(c) }]));
    const found = await store.inConversation(c, {}, (tx) => findByKey(tx, 'alice', 'key-1'));
    expect(found?.id).toBe(m.id);
    expect(await db.prisma.outboxEvent.count({ where: { conversationId: c } })).toBe(1);
  });

  it('writes nothing when the transaction fails half-way', async () => {
    const c = uniqueId('conv');
    await expect(
      store.inConversation(c, {}, async (tx) => {
        await tx.insertMessages([{ message: newMessage(c, 1), event: event(c) }]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.prisma.outboxEvent.count({ where: { conversationId: c } })).toBe(0);
    expect(await db.prisma.message.count({ where: { conversationId: c } })).toBe(0);
  });

  it('serialises writers of one conversation: a concurrent reader sees commits in sequence order', async () => {
    const c = uniqueId('conv');
    // Numbers come from the conversation store on other connections, as NextSequence does.
    const numbersDb = await testDatabase(4);
    const numbers = new ConversationStore(numbersDb);
    await numbers.create({
      conversationId: c,
      kind: 'group',
      displayName: 'x',
      avatarUrl: '',
      participants: [{ userId: 'alice', role: 'admin' }],
    });
    const readerDb = await testDatabase(1);
    let writing = true;
    const gaps: string[] = [];
    const prefixesSeen = new Set<number>();
    const reader = (async () => {
      while (writing) {
        const { rows } = await readerDb.pool.query<{ sequence: string }>(
          'SELECT sequence FROM messages WHERE conversation_id = $1 ORDER BY sequence',
          [c],
        );
        const seen = rows.map((r) => Number(r.sequence));
        // Committed in sequence order: seeing N means seeing every number below it.
        if (seen.some((s, i) => s !== i + 1)) gaps.push(seen.join(','));
        prefixesSeen.add(seen.length);
      }
    })();
    try {
      await Promise.all(
        Array.from({ length: 30 }, () =>
          store.inConversation(c, {}, async (tx) => {
            const seq = (await numbers.nextSequence(c))!;
            // Later numbers may finish their work first; only the lock keeps commits in order.
            await new Promise((r) => setTimeout(r, Math.random() * 5));
            await tx.insertMessages([{ message: newMessage(c, seq), event: event(c) }]);
          }),
        ),
      );
    } finally {
      writing = false;
      await reader;
      await readerDb.close();
      await numbersDb.close();
    }
    expect(gaps).toEqual([]);
    expect(prefixesSeen.size).toBeGreaterThan(2); // the reader did watch the commits happen
    const all = await store.readSync(
      validateSync({ conversationId: c, afterSequence: 0, pageSize: 100 }),
    );
    expect(all.messages.map((m) => m.sequence)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it('reads a page in one snapshot: concurrent writes never show a gap or a deletion without its message state', async () => {
    const c = uniqueId('conv');
    let writing = true;
    const problems: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const page = await store.readSync(
          validateSync({ conversationId: c, afterSequence: 0, pageSize: 1000 }),
        );
        reads++;
        const positions = [
          ...page.messages.map((m) => m.sequence),
          ...page.deletions.map((m) => m.deletionSequence),
        ].sort((a, b) => a - b);
        // Every position up to the latest is a message or a deletion: all of them are here.
        if (positions.some((p, i) => p !== i + 1) || positions.length !== page.latestSequence)
          problems.push(`positions ${positions.join(',')} latest ${page.latestSequence}`);
        const deletedHere = new Map(page.deletions.map((m) => [m.id, m.deletionSequence]));
        for (const m of page.messages) {
          if ((m.deletionSequence || null) !== (deletedHere.get(m.id) ?? null))
            problems.push(`message ${m.sequence}: state and deletions disagree`);
        }
      }
    })();
    try {
      const live: ReturnType<typeof newMessage>[] = [];
      let position = 0;
      for (let i = 0; i < 120; i++) {
        await store.inConversation(c, {}, async (tx) => {
          if (i % 3 === 2) {
            const victim = live.shift()!;
            await tx.saveDeletion(
              victim.deleted({
                sequence: ++position,
                deletedAt: new Date(),
                mode: i % 2 ? 'soft' : 'hard',
                actorUserId: 'alice',
              }),
              event(c),
            );
          } else {
            const m = newMessage(c, ++position);
            await tx.insertMessages([{ message: m, event: event(c) }]);
            live.push(m);
          }
        });
      }
    } finally {
      writing = false;
      await reader;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(reads).toBeGreaterThan(5);
  });

  it('reads a history page in one snapshot: every position up to its latest is reflected, with edits', async () => {
    const c = uniqueId('conv');
    let writing = true;
    const problems: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const page = await store.readHistory(
          validateHistory({ conversationId: c, beforeSequence: 0, pageSize: 1000 }),
        );
        reads++;
        // Each message is edited at most once and deleted at most once below, so every
        // position up to the latest is a message, an edit or a deletion recorded on a row.
        const positions = page.messages
          .flatMap((m) => [m.props.sequence, m.props.edit?.sequence, m.props.deletion?.sequence])
          .filter((p): p is number => p !== undefined)
          .sort((a, b) => a - b);
        if (positions.some((p, i) => p !== i + 1) || positions.length !== page.latestSequence)
          problems.push(`positions ${positions.join(',')} latest ${page.latestSequence}`);
        const sequences = page.messages.map((m) => m.props.sequence);
        if (sequences.some((q, i) => i > 0 && q >= sequences[i - 1]))
          problems.push(`not newest first: ${sequences.join(',')}`);
      }
    })();
    try {
      const toEdit: Message[] = [];
      const toDelete: Message[] = [];
      let position = 0;
      for (let i = 0; i < 120; i++) {
        await store.inConversation(c, {}, async (tx) => {
          if (i % 4 === 2 && toEdit.length > 0) {
            const m = toEdit.shift()!;
            const edited = m.edited(`edit ${i}`, '', {
              sequence: ++position,
              editedAt: new Date(),
            });
            await tx.saveEdit(edited, event(c));
            toDelete.push(edited);
          } else if (i % 4 === 3 && toDelete.length > 0) {
            const victim = toDelete.shift()!;
            const deletion = { sequence: ++position, deletedAt: new Date(), actorUserId: 'alice' };
            await tx.saveDeletion(victim.deleted({ ...deletion, mode: 'hard' }), event(c));
          } else {
            const m = newMessage(c, ++position);
            await tx.insertMessages([{ message: m, event: event(c) }]);
            toEdit.push(m);
          }
        });
      }
    } finally {
      writing = false;
      await reader;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(reads).toBeGreaterThan(5);
  });

  it('reads a page of the change stream: deletions up to the last message of the page', async () => {
    const c = uniqueId('conv');
    const msgs = [1, 2, 3, 4].map((s) => newMessage(c, s));
    await store.inConversation(c, {}, async (tx) => {
      for (const m of msgs) await tx.insertMessages([{ message: m, event: event(c) }]);
      await tx.saveDeletion(
        msgs[0].deleted({ sequence: 5, deletedAt: new Date(), mode: 'hard', actorUserId: 'alice' }),
        event(c),
      );
    });
    const first = await store.readSync(
      validateSync({ conversationId: c, afterSequence: 0, pageSize: 2 }),
    );
    expect(first.messages.map((m) => m.sequence)).toEqual([1, 2, 3]);
    expect(first.deletions).toHaveLength(0); // deletion 5 is beyond the 2nd message
    expect(first.latestSequence).toBe(5);
    const rest = await store.readSync(
      validateSync({ conversationId: c, afterSequence: 4, pageSize: 2 }),
    );
    expect(rest.messages).toHaveLength(0);
    expect(rest.deletions.map((m) => [m.id, m.deletionSequence, m.content])).toEqual([
      [msgs[0].id, 5, null],
    ]);
  });
});

/** The message stored under one (sender, idempotency key), or null. */
async function findByKey(
  tx: Pick<PgConversationTx, 'findByIdempotencyKeys'>,
  senderUserId: string,
  idempotencyKey: string,
) {
  return (await tx.findByIdempotencyKeys([{ senderUserId, idempotencyKey }]))[0] ?? null;
}
