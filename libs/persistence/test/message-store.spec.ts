import { randomUUID } from 'node:crypto';
import { validateSync } from '@realchat/domain';
import { Database } from '../src';
import { MessageStore } from '../src/messages';
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
    await store.inConversation(c, {}, (tx) => tx.insertMessage(m, event(c)));
    const found = await store.inConversation(c, {}, (tx) =>
      tx.findByIdempotencyKey('alice', 'key-1'),
    );
    expect(found?.id).toBe(m.id);
    expect(await db.prisma.outboxEvent.count({ where: { conversationId: c } })).toBe(1);
  });

  it('writes nothing when the transaction fails half-way', async () => {
    const c = uniqueId('conv');
    await expect(
      store.inConversation(c, {}, async (tx) => {
        await tx.insertMessage(newMessage(c, 1), event(c));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.prisma.outboxEvent.count({ where: { conversationId: c } })).toBe(0);
    expect(await db.prisma.message.count({ where: { conversationId: c } })).toBe(0);
  });

  it('serialises writers of one conversation: commit order is lock order', async () => {
    const c = uniqueId('conv');
    const order: number[] = [];
    let counter = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.inConversation(c, {}, async (tx) => {
          const seq = ++counter; // taken under the lock, like NextSequence
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          await tx.insertMessage(newMessage(c, seq), event(c));
          order.push(seq);
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('reads a page of the change stream with deletions in one snapshot', async () => {
    const c = uniqueId('conv');
    const msgs = [1, 2, 3, 4].map((s) => newMessage(c, s));
    await store.inConversation(c, {}, async (tx) => {
      for (const m of msgs) await tx.insertMessage(m, event(c));
      await tx.saveDeletion(
        msgs[0].deleted({ sequence: 5, deletedAt: new Date(), mode: 'hard', actorUserId: 'alice' }),
        event(c),
      );
    });
    const first = await store.readSync(
      validateSync({ conversationId: c, afterSequence: 0, pageSize: 2 }),
    );
    expect(first.messages.map((m) => m.props.sequence)).toEqual([1, 2, 3]);
    expect(first.deletions).toHaveLength(0); // deletion 5 is beyond the 2nd message
    expect(first.latestSequence).toBe(5);
    const rest = await store.readSync(
      validateSync({ conversationId: c, afterSequence: 4, pageSize: 2 }),
    );
    expect(rest.messages).toHaveLength(0);
    expect(rest.deletions.map((m) => [m.id, m.props.deletion?.sequence, m.props.content])).toEqual([
      [msgs[0].id, 5, null],
    ]);
  });
});
