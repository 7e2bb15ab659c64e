import { as, useCasesInMemory } from './fakes/use-cases';

/** SyncMessages against in-memory ports. */
describe('SyncMessages', () => {
  it('serves participants a page with messages and deletions; refuses others', async () => {
    const uc = useCasesInMemory();
    uc.directory.add('c-sync', { alice: 'member', bob: 'member' });
    const input = (content: string) => ({
      conversationId: 'c-sync',
      senderUserId: 'alice',
      idempotencyKey: '',
      messageType: '',
      content,
      metadataJson: '',
    });
    const a = await uc.send.execute(input('a'), as('alice'));
    await uc.send.execute(input('b'), as('alice'));
    await uc.delete.execute(
      { conversationId: 'c-sync', messageId: a.id, actorUserId: 'alice', mode: 'hard' },
      as('alice'),
    );

    const page = await uc.sync.execute(
      { conversationId: 'c-sync', afterSequence: 0, pageSize: 0 },
      as('bob'),
    );
    expect(page.messages.map((m) => [m.sequence, m.content])).toEqual([
      [1, ''], // a tombstone
      [2, 'b'],
    ]);
    expect(page.deletions.map((d) => [d.messageId, d.deletionSequence])).toEqual([[a.id, 3]]);
    expect(page).toMatchObject({ nextAfterSequence: 3, hasMore: false, latestSequence: 3 });

    await expect(
      uc.sync.execute({ conversationId: 'c-sync', afterSequence: 0, pageSize: 0 }, as('eve')),
    ).rejects.toMatchObject({ kind: 'permission-denied' });
  });
});
