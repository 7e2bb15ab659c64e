import type { DeletionMode } from '@realchat/domain';
import { as, useCasesInMemory } from './fakes/use-cases';

/** DeleteMessage against in-memory ports. */
describe('DeleteMessage', () => {
  const conv = 'c-del';
  const setup = async () => {
    const uc = useCasesInMemory();
    uc.directory.add(conv, { alice: 'member', bob: 'member', ann: 'admin' });
    const m = await uc.send.execute(
      {
        conversationId: conv,
        senderUserId: 'alice',
        idempotencyKey: '',
        messageType: '',
        content: 'secret',
        metadataJson: '{"a":1}',
      },
      as('alice'),
    );
    const del = (actor: string, mode: DeletionMode = 'soft', user = actor) =>
      uc.delete.execute(
        { conversationId: conv, messageId: m.id, actorUserId: actor, mode },
        as(user),
      );
    return { ...uc, m, del };
  };

  it.each([
    ['its sender', 'alice'],
    ['an ADMIN', 'ann'],
  ])('lets %s delete, with a number and a MESSAGE_DELETED event', async (_n, actor) => {
    const { del, store, m, directory } = await setup();
    const d = await del(actor);
    expect(d).toMatchObject({
      messageId: m.id,
      deletionSequence: 2,
      mode: 'soft',
      messageSequence: 1,
    });
    expect(directory.nextSequenceCalls).toHaveLength(2);
    expect(store.events.map((e) => e.eventType)).toEqual([10, 11]);
    expect(store.messages.get(m.id)?.props.deletion?.actorUserId).toBe(actor);
  });

  it('refuses a member who did not send it, taking no number', async () => {
    const { del, store, m, directory } = await setup();
    await expect(del('bob')).rejects.toMatchObject({ kind: 'permission-denied' });
    expect(directory.nextSequenceCalls).toHaveLength(1); // the send's
    expect(store.messages.get(m.id)?.props.deletion).toBeNull();
  });

  it('refuses an x-user-id other than the actor', async () => {
    const { del, directory } = await setup();
    await expect(del('alice', 'soft', 'ann')).rejects.toMatchObject({ kind: 'permission-denied' });
    expect(directory.nextSequenceCalls).toHaveLength(1);
  });

  it('answers NOT_FOUND for a message of another conversation', async () => {
    const uc = await setup();
    uc.directory.add('c-other', { alice: 'admin' });
    await expect(
      uc.delete.execute(
        { conversationId: 'c-other', messageId: uc.m.id, actorUserId: 'alice', mode: 'soft' },
        as('alice'),
      ),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('hard after soft erases the content, with a new event and a new number', async () => {
    const { del, store, m } = await setup();
    const soft = await del('alice', 'soft');
    expect(store.messages.get(m.id)?.props.content).toBe('secret');
    const hard = await del('alice', 'hard');
    expect(hard.deletionSequence).toBeGreaterThan(soft.deletionSequence);
    expect(hard.mode).toBe('hard');
    expect(store.messages.get(m.id)?.props).toMatchObject({ content: null, metadataJson: null });
    expect(store.events.map((e) => e.eventType)).toEqual([10, 11, 11]);
  });

  it.each([
    ['soft', 'soft'],
    ['hard', 'soft'],
    ['hard', 'hard'],
  ] as const)('%s then %s: the second is a no-op without a number', async (first, second) => {
    const { del, store, directory } = await setup();
    const d1 = await del('alice', first);
    const taken = directory.nextSequenceCalls.length;
    const d2 = await del('alice', second);
    expect(d2).toEqual(d1);
    expect(directory.nextSequenceCalls).toHaveLength(taken);
    expect(store.events).toHaveLength(2);
  });
});
