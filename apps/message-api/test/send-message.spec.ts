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

  it('refuses a sender over the rate limit first: no lookup, no lock, no number', async () => {
    const uc = setup();
    const asked: string[] = [];
    const limited = new SendMessage(uc.store, uc.directory, protoMessageEvents, DEFAULT_LIMITS, {
      take: (user) => (asked.push(user), 1234),
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
