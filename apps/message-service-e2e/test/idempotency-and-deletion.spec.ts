import { randomUUID } from 'node:crypto';
import {
  DeletionMode,
  failure,
  freshDatabase,
  outboxMismatches,
  query,
  Stack,
  status,
} from '@realchat/testing';

/** Exact idempotency across instances, and deletions that every client learns of. */
describe('idempotency and deletion (two message-api instances)', () => {
  let stack: Stack;
  let db: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_semantics');
    stack = await Stack.start({ databaseUrl: db, messageApis: 2 });
  });
  afterAll(() => stack?.stop());

  async function conversation(users = ['alice', 'bob', 'carol']): Promise<string> {
    const { conversation } = await stack.conversationApi().create(users);
    return conversation!.conversationId;
  }

  it('concurrent duplicates on two instances give one message and one outbox event', async () => {
    const c = await conversation();
    const apis = [stack.messageApi(0), stack.messageApi(1)];
    for (let round = 0; round < 5; round++) {
      const key = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          apis[i % 2].send('alice', {
            conversationId: c,
            senderUserId: 'alice',
            idempotencyKey: key,
            content: `once ${round}`,
          }),
        ),
      );
      const ids = new Set(
        results.map(
          (r) =>
            `${r.message!.messageId}/${r.message!.sequence}/${r.message!.sentAt!.toISOString()}`,
        ),
      );
      expect(ids.size).toBe(1);
    }
    const [{ messages }] = await query<{ messages: number }>(
      db,
      'SELECT count(*)::int AS messages FROM messages WHERE conversation_id = $1',
      [c],
    );
    expect(messages).toBe(5);
    // Each of the five has exactly one MESSAGE_SENT event, carrying that message.
    expect(await outboxMismatches(db, c)).toEqual([]);
    // Retries took no sequence numbers: the five messages are 1..5.
    const page = await apis[0].sync('bob', { conversationId: c, afterSequence: 0 });
    expect(page.messages.map((m) => m.sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a reused key with a different payload, naming the key', async () => {
    const c = await conversation();
    const api = stack.messageApi();
    await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: 'dup-key',
      content: 'first',
    });
    const f = await failure(
      api.send('alice', {
        conversationId: c,
        senderUserId: 'alice',
        idempotencyKey: 'dup-key',
        content: 'second',
      }),
    );
    expect(f.code).toBe(status.ALREADY_EXISTS);
    expect(f.details).toContain('dup-key');
    // Another sender may use the same key: keys are per sender.
    await api.send('bob', {
      conversationId: c,
      senderUserId: 'bob',
      idempotencyKey: 'dup-key',
      content: 'second',
    });
  });

  it('refuses the same key with a different metadata_json, and replays an exact retry', async () => {
    const c = await conversation();
    const api = stack.messageApi();
    const req = {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: 'meta-key',
      content: 'same text',
      metadataJson: '{"reply_to":"a"}',
    };
    const first = (await api.send('alice', req)).message!;
    const f = await failure(api.send('alice', { ...req, metadataJson: '{"reply_to":"b"}' }));
    expect(f.code).toBe(status.ALREADY_EXISTS);
    expect((await failure(api.send('alice', { ...req, metadataJson: '' }))).code).toBe(
      status.ALREADY_EXISTS,
    );
    const retry = (await api.send('alice', req)).message!;
    expect(retry).toEqual(first);
  });

  it('refused requests take no number: the next accepted send gets the next one', async () => {
    const c = await conversation(); // alice is ADMIN, bob and carol members
    const api = stack.messageApi();
    const send = (user: string, fields: Record<string, string>) =>
      api.send(user, { conversationId: c, senderUserId: user, content: 'x', ...fields });
    await send('alice', { idempotencyKey: 'taken', content: 'first' });
    const fromBob = (await send('bob', { content: 'second' })).message!;
    const refusals: [string, () => Promise<unknown>, status][] = [
      [
        'reused key',
        () => send('alice', { idempotencyKey: 'taken', content: 'other' }),
        status.ALREADY_EXISTS,
      ],
      [
        'x-user-id differs from sender',
        () => api.send('carol', { conversationId: c, senderUserId: 'bob', content: 'x' }),
        status.PERMISSION_DENIED,
      ],
      ['non-participant sends', () => send('eve', {}), status.PERMISSION_DENIED],
      ['empty content', () => send('alice', { content: ' ' }), status.INVALID_ARGUMENT],
      [
        'bad message type',
        () => send('alice', { messageType: 'Not A Type' }),
        status.INVALID_ARGUMENT,
      ],
      // Refused under the conversation's lock, where a number could be taken too early:
      [
        'a member deletes another’s message',
        () =>
          api.delete('carol', {
            conversationId: c,
            messageId: fromBob.messageId,
            actorUserId: 'carol',
          }),
        status.PERMISSION_DENIED,
      ],
      [
        'delete an unknown message',
        () =>
          api.delete('alice', { conversationId: c, messageId: randomUUID(), actorUserId: 'alice' }),
        status.NOT_FOUND,
      ],
      [
        'delete with a malformed message id',
        () => api.delete('alice', { conversationId: c, messageId: 'nope', actorUserId: 'alice' }),
        status.INVALID_ARGUMENT,
      ],
    ];
    for (const [what, attempt, code] of refusals) {
      expect([what, (await failure(attempt())).code]).toEqual([what, code]);
    }
    const next = (await send('bob', { content: 'third' })).message!;
    expect(next.sequence).toBe(3);
    const page = await api.sync('carol', { conversationId: c });
    expect(page.messages.map((m) => m.sequence)).toEqual([1, 2, 3]);
    expect(page.latestSequence).toBe(3);
  });

  it('treats an empty idempotency key as no key: every call stores a message', async () => {
    const c = await conversation();
    const api = stack.messageApi();
    const a = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: '',
      content: 'same',
    });
    const b = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: '',
      content: 'same',
    });
    expect(a.message!.messageId).not.toBe(b.message!.messageId);
    expect([a.message!.sequence, b.message!.sequence]).toEqual([1, 2]);
  });

  it('tells a client that synced past a message about its later deletion, soft then hard', async () => {
    const c = await conversation();
    const api = stack.messageApi(1);
    const m1 = (
      await api.send('alice', {
        conversationId: c,
        senderUserId: 'alice',
        idempotencyKey: 'a1',
        content: 'secret',
        metadataJson: '{"k":1}',
      })
    ).message!;
    const m2 = (
      await api.send('bob', {
        conversationId: c,
        senderUserId: 'bob',
        idempotencyKey: 'b1',
        content: 'reply',
      })
    ).message!;
    const early = await api.sync('carol', { conversationId: c, afterSequence: 0 });
    expect(early.nextAfterSequence).toBe(2);

    // Soft delete by the sender: content kept in the database, never served again.
    const soft = await api.delete('alice', {
      conversationId: c,
      messageId: m1.messageId,
      actorUserId: 'alice',
    });
    expect(soft.deletion).toMatchObject({
      messageId: m1.messageId,
      deletionSequence: 3,
      mode: DeletionMode.DELETION_MODE_SOFT,
      messageSequence: 1,
    });
    const late = await api.sync('carol', {
      conversationId: c,
      afterSequence: early.nextAfterSequence,
    });
    expect(late.messages).toEqual([]);
    expect(late.deletions).toEqual([
      expect.objectContaining({
        messageId: m1.messageId,
        deletionSequence: 3,
        mode: DeletionMode.DELETION_MODE_SOFT,
      }),
    ]);
    expect(late.nextAfterSequence).toBe(3);
    const [kept] = await query<{ content: string | null }>(
      db,
      'SELECT content FROM messages WHERE message_id = $1',
      [m1.messageId],
    );
    expect(kept.content).toBe('secret');
    const full = await api.sync('carol', { conversationId: c, afterSequence: 0 });
    expect(full.messages[0]).toMatchObject({
      messageId: m1.messageId,
      content: '',
      metadataJson: '',
      sequence: 1,
    });

    // Deleting again is a no-op without a new event.
    const again = await api.delete('alice', {
      conversationId: c,
      messageId: m1.messageId,
      actorUserId: 'alice',
    });
    expect(again.deletion!.deletionSequence).toBe(3);

    // Hard after soft erases for good, with one more event and a new position.
    const hard = await api.delete('alice', {
      conversationId: c,
      messageId: m1.messageId,
      actorUserId: 'alice',
      mode: DeletionMode.DELETION_MODE_HARD,
    });
    expect(hard.deletion).toMatchObject({
      deletionSequence: 4,
      mode: DeletionMode.DELETION_MODE_HARD,
    });
    const erased = await query<{ content: string | null; metadata_json: string | null }>(
      db,
      'SELECT content, metadata_json FROM messages WHERE message_id = $1',
      [m1.messageId],
    );
    expect(erased).toEqual([{ content: null, metadata_json: null }]);
    const afterHard = await api.sync('carol', { conversationId: c, afterSequence: 3 });
    expect(afterHard.deletions).toEqual([
      expect.objectContaining({
        messageId: m1.messageId,
        deletionSequence: 4,
        mode: DeletionMode.DELETION_MODE_HARD,
      }),
    ]);

    // A hard delete of a live message by an ADMIN (alice is the group's first user).
    await api.delete('alice', {
      conversationId: c,
      messageId: m2.messageId,
      actorUserId: 'alice',
      mode: DeletionMode.DELETION_MODE_HARD,
    });
    const events = await query<{ event_type: number }>(
      db,
      'SELECT event_type FROM outbox WHERE conversation_id = $1 ORDER BY id',
      [c],
    );
    expect(events.map((e) => e.event_type)).toEqual([10, 10, 11, 11, 11]);
    expect(await outboxMismatches(db, c)).toEqual([]);

    // The retry of a deleted message's send returns the tombstone, still without a new number.
    const retry = await api.send('alice', {
      conversationId: c,
      senderUserId: 'alice',
      idempotencyKey: 'a1',
      content: 'secret',
      metadataJson: '{"k":1}',
    });
    expect(retry.message).toMatchObject({ messageId: m1.messageId, sequence: 1, content: '' });
    expect((await api.sync('carol', { conversationId: c, afterSequence: 0 })).latestSequence).toBe(
      5,
    );
  });
});
