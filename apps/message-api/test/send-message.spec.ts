import { randomUUID } from 'node:crypto';
import type { SendMessageInput } from '@realchat/domain';
import { DEFAULT_LIMITS } from '@realchat/domain';
import { SendMessage } from '../src/app/send-message';
import { protoMessageEvents } from '../src/grpc/message-events';
import { as, useCasesInMemory } from './fakes/use-cases';

/** SendMessage against in-memory ports (the fakes are held to the store contract). */
describe('SendMessage', () => {
  const conv = 'c-send';
  const send = (over: Partial<SendMessageInput> = {}): SendMessageInput => ({
    conversationId: conv,
    senderUserId: 'alice',
    idempotencyKey: '',
    messageType: '',
    content: 'hello',
    metadataJson: '',
    ...over,
  });
  const setup = () => {
    const uc = useCasesInMemory();
    uc.directory.add(conv, { alice: 'admin', bob: 'member' });
    return uc;
  };

  it('stores the message with the next number and its MESSAGE_SENT event', async () => {
    const uc = setup();
    const a = await uc.send.execute(send(), as('alice'));
    const b = await uc.send.execute(send({ content: 'again' }), as('alice'));
    expect([a.sequence, b.sequence]).toEqual([1, 2]);
    expect(uc.store.messages.get(a.id)?.props.content).toBe('hello');
    expect(uc.store.events.map((e) => [e.conversationId, e.eventType])).toEqual([
      [conv, 10],
      [conv, 10],
    ]);
  });

  it('answers a retry with the original message, taking no number and writing nothing', async () => {
    const uc = setup();
    const first = await uc.send.execute(send({ idempotencyKey: 'k1' }), as('alice'));
    const retry = await uc.send.execute(send({ idempotencyKey: 'k1' }), as('alice'));
    expect(retry).toEqual(first);
    expect(uc.directory.nextSequenceCalls).toHaveLength(1);
    expect(uc.store.events).toHaveLength(1);
  });

  it('refuses a reused key with another payload as ALREADY_EXISTS, taking no number', async () => {
    const uc = setup();
    await uc.send.execute(send({ idempotencyKey: 'k1' }), as('alice'));
    await expect(
      uc.send.execute(send({ idempotencyKey: 'k1', content: 'different' }), as('alice')),
    ).rejects.toMatchObject({ kind: 'already-exists' });
    expect(uc.directory.nextSequenceCalls).toHaveLength(1);
    expect(uc.store.messages.size).toBe(1);
  });

  it.each([
    ['invalid input', send({ content: '' }), 'alice', 'invalid-argument'],
    ['x-user-id other than the sender', send(), 'bob', 'permission-denied'],
    [
      'a sender who is no participant',
      send({ senderUserId: 'mallory' }),
      'mallory',
      'permission-denied',
    ],
    ['an unknown conversation', send({ conversationId: 'nope' }), 'alice', 'not-found'],
  ])('refuses %s before taking a number', async (_name, input, user, kind) => {
    const uc = setup();
    await expect(uc.send.execute(input, as(user))).rejects.toMatchObject({ kind });
    expect(uc.directory.nextSequenceCalls).toEqual([]);
    expect(uc.store.messages.size).toBe(0);
    expect(uc.store.events).toEqual([]);
  });

  it('checks the identity before asking the Conversation API', async () => {
    const uc = setup();
    await expect(uc.send.execute(send(), as('bob'))).rejects.toMatchObject({
      kind: 'permission-denied',
    });
    expect(uc.directory.membersCalls).toBe(0);
  });

  it('takes numbers under the write lock: concurrent sends commit in number order', async () => {
    const uc = setup();
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        uc.send.execute(send({ content: `m${i}`, idempotencyKey: randomUUID() }), as('alice')),
      ),
    );
    expect(sent.map((m) => m.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  describe('group commit', () => {
    const sequences = (uc: ReturnType<typeof setup>) =>
      [...uc.store.messages.values()].map((m) => m.props.sequence).sort((a, b) => a - b);
    /** Holds the conversation's first write inside its lock until `release()`. */
    const holdFirstWrite = (uc: ReturnType<typeof setup>) => {
      let release!: () => void;
      uc.directory.gate = new Promise<void>((r) => (release = r));
      return release;
    };
    const settle = <T>(p: Promise<T>) =>
      p.then(
        (value) => ({ ok: true as const, value }),
        (error: { kind?: string }) => ({ ok: false as const, kind: error.kind, error }),
      );
    const tick = () => new Promise((r) => setTimeout(r, 10));

    it('writes the sends that queued behind a write as one batch: one range, numbered in arrival order', async () => {
      const uc = setup();
      const release = holdFirstWrite(uc);
      const first = uc.send.execute(send({ content: 'first' }), as('alice'));
      await tick();
      const queued = Array.from({ length: 9 }, (_, i) =>
        uc.send.execute(send({ content: `queued ${i}` }), as('alice')),
      );
      await tick();
      release();
      const views = [await first, ...(await Promise.all(queued))];
      expect(views.map((v) => v.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(views.map((v) => v.content)).toEqual([
        'first',
        ...Array.from({ length: 9 }, (_, i) => `queued ${i}`),
      ]);
      expect(uc.directory.nextSequenceCalls).toHaveLength(2); // one call per batch
      // Events in sequence order: the relay publishes in outbox order.
      expect(uc.store.events.map((e) => e.eventId)).toHaveLength(10);
      expect(sequences(uc)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('answers each send of a batch on its own, and numbers only the sends it stores', async () => {
      const uc = setup();
      const stored = await uc.send.execute(send({ idempotencyKey: 'k0' }), as('alice'));
      const release = holdFirstWrite(uc);
      const blocker = uc.send.execute(send({ content: 'blocker' }), as('alice'));
      await tick();
      const batch = [
        uc.send.execute(send({ idempotencyKey: 'k0' }), as('alice')), // replay of a stored one
        uc.send.execute(send({ idempotencyKey: 'k0', content: 'x' }), as('alice')), // reused key
        uc.send.execute(send({ idempotencyKey: 'k1' }), as('alice')), // new
        uc.send.execute(send({ idempotencyKey: 'k1' }), as('alice')), // its twin: same payload
        uc.send.execute(send({ idempotencyKey: 'k1', content: 'y' }), as('alice')), // reused key
        uc.send.execute(send({ idempotencyKey: 'k2', senderUserId: 'bob' }), as('bob')), // new
      ].map(settle);
      await tick();
      release();
      await blocker;
      const [replay, reused0, k1, twin, reused1, k2] = await Promise.all(batch);
      expect(replay).toMatchObject({ ok: true, value: stored });
      expect(reused0).toMatchObject({ ok: false, kind: 'already-exists' });
      expect(k1).toMatchObject({ ok: true, value: { sequence: 3 } });
      expect(twin).toEqual(k1);
      expect(reused1).toMatchObject({ ok: false, kind: 'already-exists' });
      expect(k2).toMatchObject({ ok: true, value: { sequence: 4, senderUserId: 'bob' } });
      expect(sequences(uc)).toEqual([1, 2, 3, 4]); // no gap: refused sends took no number
      expect(uc.store.events).toHaveLength(4);
    });

    it('takes one number per call from a Conversation API that predates ranges', async () => {
      const uc = setup();
      uc.directory.rangeSupport = false;
      const release = holdFirstWrite(uc);
      const first = uc.send.execute(send(), as('alice'));
      await tick();
      const queued = Array.from({ length: 4 }, () => uc.send.execute(send(), as('alice')));
      await tick();
      release();
      await Promise.all([first, ...queued]);
      expect(uc.directory.nextSequenceCalls).toHaveLength(5);
      expect(sequences(uc)).toEqual([1, 2, 3, 4, 5]);
    });

    it('answers a send whose deadline passed while it queued with DEADLINE_EXCEEDED, taking no number', async () => {
      const uc = setup();
      const release = holdFirstWrite(uc);
      const first = uc.send.execute(send(), as('alice'));
      await tick();
      const late = settle(
        uc.send.execute(send({ content: 'late' }), {
          userId: 'alice',
          deadline: new Date(Date.now() + 20),
        }),
      );
      const onTime = uc.send.execute(send({ content: 'on time' }), as('alice'));
      await new Promise((r) => setTimeout(r, 60));
      release();
      await first;
      expect(await late).toMatchObject({ ok: false, kind: 'deadline-exceeded' });
      expect((await onTime).sequence).toBe(2);
      expect(sequences(uc)).toEqual([1, 2]);
    });

    it('fails every send of a batch whose write fails, writes none of them, and goes on', async () => {
      const uc = setup();
      const failure = new Error('Conversation API broke');
      uc.directory.failCall = { index: 2, error: failure }; // the batch behind the first write
      const release = holdFirstWrite(uc);
      const first = uc.send.execute(send(), as('alice'));
      await tick();
      const queued = Array.from({ length: 3 }, () => settle(uc.send.execute(send(), as('alice'))));
      await tick();
      release();
      await first;
      const after = await Promise.all(queued);
      expect(after.every((r) => !r.ok && r.error === failure)).toBe(true);
      expect(sequences(uc)).toEqual([1]);
      expect((await uc.send.execute(send(), as('alice'))).sequence).toBe(2);
    });
  });

  it('refuses a sender over the rate limit first: no lookup, no lock, no number', async () => {
    const uc = setup();
    const asked: string[] = [];
    const limited = new SendMessage(uc.store, uc.directory, protoMessageEvents, DEFAULT_LIMITS, {
      rate: { take: (user) => (asked.push(user), 1234) },
    });
    const locks = jest.spyOn(uc.store, 'inConversation');
    // Even an invalid request from a user over the limit costs nothing but the refusal.
    for (const input of [send(), send({ content: '' })]) {
      await expect(limited.execute(input, as('alice'))).rejects.toMatchObject({
        kind: 'resource-exhausted',
        retryAfterMs: 1234,
      });
    }
    expect(asked).toEqual(['alice', 'alice']);
    expect(uc.directory.membersCalls).toBe(0);
    expect(locks).not.toHaveBeenCalled();
    expect(uc.directory.nextSequenceCalls).toEqual([]);
  });
});
