import { randomUUID } from 'node:crypto';
import {
  DEFAULT_LIMITS,
  Message,
  syncedMessage,
  validateHistory,
  validateSend,
  validateSync,
} from '@realchat/domain';
import type { OutboxEventInput } from '@realchat/persistence/outbox';
import type { ConversationTx, ConversationWrites, SyncPages } from '../../src/app/ports';

export interface StoreUnderTest {
  readonly store: ConversationWrites & SyncPages;
  close(): Promise<void>;
}

/**
 * The contract of message-api's storage ports, run against every implementation (the in-memory
 * fake the use case tests rely on, and the PostgreSQL adapter), so that the fake cannot drift
 * from the real thing (wild-workouts' repository tests).
 */
export function messageStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} (message store contract)`, () => {
    let subject: StoreUnderTest;
    let store: ConversationWrites & SyncPages;
    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(() => subject.close());

    it('finds an inserted message by idempotency key and by id, only in its conversation', async () => {
      const c = conversation();
      const m = message(c, 1, 'hello', 'key-1');
      await store.inConversation(c, {}, (tx) =>
        tx.insertMessages([{ message: m, event: event(c) }]),
      );
      // One statement at a time: a transaction runs on one connection.
      const [byKey, byId, otherSender] = await store.inConversation(c, {}, async (tx) => [
        await findByKey(tx, 'alice', 'key-1'),
        await tx.findMessage(m.id),
        await findByKey(tx, 'bob', 'key-1'),
      ]);
      expect(byKey?.props).toEqual(m.props);
      expect(byId?.props).toEqual(m.props);
      expect(otherSender).toBeNull();
      const other = conversation();
      expect(await store.inConversation(other, {}, (tx) => tx.findMessage(m.id))).toBeNull();
      expect(
        await store.inConversation(other, {}, (tx) => findByKey(tx, 'alice', 'key-1')),
      ).toBeNull();
    });

    it('saves a deletion; a hard one erases content and metadata', async () => {
      const c = conversation();
      const m = message(c, 1, 'secret');
      await store.inConversation(c, {}, (tx) =>
        tx.insertMessages([{ message: m, event: event(c) }]),
      );
      const deletedAt = new Date();
      const soft = m.deleted({ sequence: 2, deletedAt, mode: 'soft', actorUserId: 'alice' });
      await store.inConversation(c, {}, (tx) => tx.saveDeletion(soft, event(c)));
      const afterSoft = await store.inConversation(c, {}, (tx) => tx.findMessage(m.id));
      expect(afterSoft?.props.content).toBe('secret');
      expect(afterSoft?.props.deletion).toEqual(soft.props.deletion);

      const hard = afterSoft!.deleted({ sequence: 3, deletedAt, mode: 'hard', actorUserId: 'bob' });
      await store.inConversation(c, {}, (tx) => tx.saveDeletion(hard, event(c)));
      const afterHard = await store.inConversation(c, {}, (tx) => tx.findMessage(m.id));
      expect(afterHard?.props.content).toBeNull();
      expect(afterHard?.props.metadataJson).toBeNull();
      expect(afterHard?.props.deletion).toEqual(hard.props.deletion);
    });

    it('writes nothing when the work fails half-way', async () => {
      const c = conversation();
      const m = message(c, 1, 'x', 'k');
      await expect(
        store.inConversation(c, {}, async (tx) => {
          await tx.insertMessages([{ message: m, event: event(c) }]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.inConversation(c, {}, (tx) => tx.findMessage(m.id))).toBeNull();
      expect((await store.readSync(page(c, 0, 10))).latestSequence).toBe(0);
    });

    it('refuses a second message with the same idempotency key', async () => {
      const c = conversation();
      await store.inConversation(c, {}, (tx) =>
        tx.insertMessages([{ message: message(c, 1, 'a', 'k'), event: event(c) }]),
      );
      await expect(
        store.inConversation(c, {}, (tx) =>
          tx.insertMessages([{ message: message(c, 2, 'b', 'k'), event: event(c) }]),
        ),
      ).rejects.toThrow();
      expect((await store.readSync(page(c, 0, 10))).messages).toHaveLength(1);
    });

    it('reads a page: next messages, deletions up to the page end, the latest position', async () => {
      const c = conversation();
      const msgs = [1, 2, 3, 4].map((s) => message(c, s));
      await store.inConversation(c, {}, async (tx) => {
        for (const m of msgs) await tx.insertMessages([{ message: m, event: event(c) }]);
      });
      const deletedAt = new Date();
      const softDeleted = msgs[3].deleted({
        sequence: 6,
        deletedAt,
        mode: 'soft',
        actorUserId: 'alice',
      });
      await store.inConversation(c, {}, async (tx) => {
        await tx.saveDeletion(
          msgs[0].deleted({ sequence: 5, deletedAt, mode: 'hard', actorUserId: 'alice' }),
          event(c),
        );
        await tx.saveDeletion(softDeleted, event(c));
      });

      const first = await store.readSync(page(c, 0, 2));
      expect(first.messages.map((m) => m.sequence)).toEqual([1, 2, 3]); // pageSize + 1
      expect(first.deletions).toEqual([]); // 5 and 6 lie beyond the 2nd message
      expect(first.latestSequence).toBe(6);

      const rest = await store.readSync(page(c, 2, 10));
      expect(rest.messages.map((m) => m.sequence)).toEqual([3, 4]);
      expect(rest.deletions.map((m) => [m.id, m.deletionSequence])).toEqual([
        [msgs[0].id, 5],
        [msgs[3].id, 6],
      ]);
      expect(rest.deletions[0].content).toBeNull();
      // Every field as written, times to the millisecond included.
      expect(rest.deletions[1]).toEqual(syncedMessage(softDeleted));
      expect(rest.messages[0]).toEqual(syncedMessage(msgs[2]));

      const end = await store.readSync(page(c, 6, 10));
      expect(end).toEqual({ messages: [], deletions: [], edits: [], latestSequence: 6 });
      expect(await store.readSync(page(conversation(), 0, 10))).toEqual({
        messages: [],
        deletions: [],
        edits: [],
        latestSequence: 0,
      });
    });

    it('saves an edit in place: new content, version, edit position; no earlier version kept', async () => {
      const c = conversation();
      const m = message(c, 1, 'helo', 'k');
      await store.inConversation(c, {}, (tx) =>
        tx.insertMessages([{ message: m, event: event(c) }]),
      );
      const editedAt = new Date();
      const v2 = m.edited('hello', '{"b":2}', { sequence: 2, editedAt });
      await store.inConversation(c, {}, (tx) => tx.saveEdit(v2, event(c)));
      const found = await store.inConversation(c, {}, (tx) => tx.findMessage(m.id));
      expect(found?.props).toEqual(v2.props);
      // The send's key still finds it (its payload hash is the send's).
      const byKey = await store.inConversation(c, {}, (tx) => findByKey(tx, 'alice', 'k'));
      expect(byKey?.props.payloadHash).toBe(m.props.payloadHash);

      const hard = found!.deleted({
        sequence: 3,
        deletedAt: editedAt,
        mode: 'hard',
        actorUserId: 'alice',
      });
      await store.inConversation(c, {}, (tx) => tx.saveDeletion(hard, event(c)));
      const erased = await store.inConversation(c, {}, (tx) => tx.findMessage(m.id));
      expect(erased?.props).toMatchObject({ content: null, metadataJson: null, version: 2 });
    });

    it('reads edits in a sync page by their own position, up to the page end', async () => {
      const c = conversation();
      const msgs = [1, 2, 3].map((s) => message(c, s));
      await store.inConversation(c, {}, async (tx) => {
        for (const m of msgs) await tx.insertMessages([{ message: m, event: event(c) }]);
      });
      const editedAt = new Date();
      const editedFirst = msgs[0].edited('one', '', { sequence: 4, editedAt });
      await store.inConversation(c, {}, async (tx) => {
        await tx.saveEdit(editedFirst, event(c));
        await tx.saveEdit(msgs[2].edited('three', '', { sequence: 5, editedAt }), event(c));
      });
      const first = await store.readSync(page(c, 0, 1));
      expect(first.edits).toEqual([]); // 4 and 5 lie beyond the 1st message
      expect(first.messages[0].content).toBe('one'); // messages in their current state
      expect(first.latestSequence).toBe(5);
      const rest = await store.readSync(page(c, 3, 10));
      expect(rest.messages).toEqual([]);
      expect(rest.edits.map((m) => [m.id, m.editSequence, m.content])).toEqual([
        [msgs[0].id, 4, 'one'],
        [msgs[2].id, 5, 'three'],
      ]);
      expect(rest.edits[0]).toEqual(syncedMessage(editedFirst));
      expect((await store.readSync(page(c, 4, 10))).edits.map((m) => m.id)).toEqual([msgs[2].id]);
    });

    it('reads history backwards: newest first, before a sequence, pageSize + 1, latest position', async () => {
      const c = conversation();
      const msgs = [1, 2, 4, 5].map((s) => message(c, s));
      await store.inConversation(c, {}, async (tx) => {
        for (const m of msgs) await tx.insertMessages([{ message: m, event: event(c) }]);
      });
      await store.inConversation(c, {}, (tx) =>
        tx.saveDeletion(
          msgs[1].deleted({
            sequence: 6,
            deletedAt: new Date(),
            mode: 'soft',
            actorUserId: 'alice',
          }),
          event(c),
        ),
      );
      const newest = await store.readHistory(history(c, 0, 2));
      expect(newest.messages.map((m) => m.props.sequence)).toEqual([5, 4, 2]);
      expect(newest.latestSequence).toBe(6);
      const older = await store.readHistory(history(c, 4, 10));
      expect(older.messages.map((m) => m.props.sequence)).toEqual([2, 1]);
      expect(older.messages[0].props.deletion?.sequence).toBe(6);
      expect(await store.readHistory(history(c, 1, 10))).toEqual({
        messages: [],
        latestSequence: 6,
      });
      expect(await store.readHistory(history(conversation(), 0, 10))).toEqual({
        messages: [],
        latestSequence: 0,
      });
    });

    it('runs two writers of one conversation one after the other, never interleaved', async () => {
      const c = conversation();
      const steps: string[] = [];
      let firstEntered!: () => void;
      const entered = new Promise<void>((r) => (firstEntered = r));
      let finishFirst!: () => void;
      const gate = new Promise<void>((r) => (finishFirst = r));
      const first = store.inConversation(c, {}, async (tx) => {
        steps.push('first in');
        firstEntered();
        await gate;
        await tx.insertMessages([{ message: message(c, 1), event: event(c) }]);
        steps.push('first out');
      });
      await entered;
      const second = store.inConversation(c, {}, async (tx) => {
        steps.push('second in');
        await tx.insertMessages([{ message: message(c, 2), event: event(c) }]);
        steps.push('second out');
      });
      // Another conversation is not held up by this one's writer.
      await store.inConversation(conversation(), {}, async () => steps.push('other'));
      finishFirst();
      await Promise.all([first, second]);
      expect(steps).toEqual(['first in', 'other', 'first out', 'second in', 'second out']);
    });

    it('refuses a write whose deadline has passed, writing nothing', async () => {
      const c = conversation();
      const m = message(c, 1);
      await expect(
        store.inConversation(c, { deadline: new Date(Date.now() - 1) }, (tx) =>
          tx.insertMessages([{ message: m, event: event(c) }]),
        ),
      ).rejects.toMatchObject({ kind: 'deadline-exceeded' });
      expect((await store.readSync(page(c, 0, 10))).messages).toEqual([]);
    });
  });
}

const conversation = () => `conv-${randomUUID().slice(0, 13)}`;
const history = (conversationId: string, beforeSequence: number, pageSize: number) =>
  validateHistory({ conversationId, beforeSequence, pageSize });
const page = (conversationId: string, afterSequence: number, pageSize: number) =>
  validateSync({ conversationId, afterSequence, pageSize });

function message(c: string, sequence: number, content = 'hi', key = ''): Message {
  const draft = validateSend(
    {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: key,
      messageType: '',
      content,
      metadataJson: '{"a":1}',
    },
    DEFAULT_LIMITS,
  );
  return Message.create(draft, randomUUID(), sequence, new Date());
}

function event(conversationId: string): OutboxEventInput {
  return {
    eventId: randomUUID(),
    conversationId,
    eventType: 10,
    schemaVersion: 1,
    payload: new Uint8Array([1, 2, 3]),
  };
}

/** The message stored under one (sender, idempotency key), or null. */
async function findByKey(
  tx: Pick<ConversationTx, 'findByIdempotencyKeys'>,
  senderUserId: string,
  idempotencyKey: string,
) {
  return (await tx.findByIdempotencyKeys([{ senderUserId, idempotencyKey }]))[0] ?? null;
}
