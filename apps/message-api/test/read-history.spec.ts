import { as, useCasesInMemory } from './fakes/use-cases';

/** ReadHistory against in-memory ports. */
describe('ReadHistory', () => {
  const conv = 'c-hist';
  const setup = async (count: number) => {
    const uc = useCasesInMemory();
    uc.directory.add(conv, { alice: 'member', bob: 'member' });
    const sent = [];
    for (let i = 1; i <= count; i++) {
      sent.push(
        await uc.send.execute(
          {
            conversationId: conv,
            senderUserId: 'alice',
            idempotencyKey: '',
            messageType: '',
            content: `m${i}`,
            metadataJson: '',
          },
          as('alice'),
        ),
      );
    }
    const read = (beforeSequence: number, pageSize: number, user = 'bob') =>
      uc.history.execute({ conversationId: conv, beforeSequence, pageSize }, as(user));
    return { ...uc, sent, read };
  };

  it('opens at the newest and scrolls back page by page, newest first, to the oldest', async () => {
    const { read } = await setup(5);
    const newest = await read(0, 2);
    expect(newest.messages.map((m) => m.content)).toEqual(['m5', 'm4']);
    expect(newest).toMatchObject({ hasOlder: true, nextBeforeSequence: 4, latestSequence: 5 });
    const mid = await read(newest.nextBeforeSequence, 2);
    expect(mid.messages.map((m) => m.content)).toEqual(['m3', 'm2']);
    const last = await read(mid.nextBeforeSequence, 2);
    expect(last.messages.map((m) => m.content)).toEqual(['m1']);
    expect(last.hasOlder).toBe(false);
  });

  it('serves current state: edited content, tombstones, and the latest position of any change', async () => {
    const { read, sent, edit, delete: del } = await setup(2);
    await edit.execute(
      {
        conversationId: conv,
        messageId: sent[0].id,
        editorUserId: 'alice',
        content: 'm1 (edited)',
        metadataJson: '',
        expectedVersion: 0,
      },
      as('alice'),
    );
    await del.execute(
      { conversationId: conv, messageId: sent[1].id, actorUserId: 'alice', mode: 'hard' },
      as('alice'),
    );
    const page = await read(0, 10);
    expect(page.messages.map((m) => [m.content, m.version, m.deletedAt !== null])).toEqual([
      ['', 1, true],
      ['m1 (edited)', 2, false],
    ]);
    expect(page.latestSequence).toBe(4);
  });

  it('is for participants only', async () => {
    const { read } = await setup(1);
    await expect(read(0, 10, 'eve')).rejects.toMatchObject({ kind: 'permission-denied' });
  });
});
