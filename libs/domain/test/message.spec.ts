import { DEFAULT_LIMITS, DomainError, Message, SendMessageInput, validateSend } from '../src';

const valid: SendMessageInput = {
  conversationId: 'c-1',
  senderUserId: 'alice',
  idempotencyKey: 'k-1',
  messageType: 'text',
  content: 'hello',
  metadataJson: '',
};

function violationsOf(input: Partial<SendMessageInput>): string[] {
  try {
    validateSend({ ...valid, ...input }, DEFAULT_LIMITS);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).kind).toBe('invalid-argument');
    return (e as DomainError).violations.map((v) => v.field);
  }
  return [];
}

describe('validateSend', () => {
  it.each<[string, Partial<SendMessageInput>, string[]]>([
    ['a valid request', {}, []],
    ['missing conversation', { conversationId: '' }, ['conversation_id']],
    ['bad conversation charset', { conversationId: 'a b' }, ['conversation_id']],
    ['too long sender', { senderUserId: 'x'.repeat(65) }, ['sender_user_id']],
    ['empty content', { content: '' }, ['content']],
    ['blank content', { content: ' \n\t' }, ['content']],
    ['content over the limit', { content: 'é'.repeat(8 * 1024 + 1) }, ['content']],
    ['content at the limit', { content: 'a'.repeat(16 * 1024) }, []],
    // PostgreSQL text cannot hold U+0000: stored, it would fail as INTERNAL instead.
    ['content with U+0000', { content: 'a\u0000b' }, ['content']],
    ['bad message type', { messageType: 'Text!' }, ['message_type']],
    ['metadata not JSON', { metadataJson: '{' }, ['metadata_json']],
    ['metadata an array', { metadataJson: '[1]' }, ['metadata_json']],
    ['metadata null', { metadataJson: 'null' }, ['metadata_json']],
    ['metadata too large', { metadataJson: `{"a":"${'x'.repeat(5000)}"}` }, ['metadata_json']],
    ['key too long', { idempotencyKey: 'k'.repeat(129) }, ['idempotency_key']],
    ['key with spaces', { idempotencyKey: 'a b' }, ['idempotency_key']],
    [
      'every problem at once',
      { conversationId: '', senderUserId: '', content: '', metadataJson: '1' },
      ['conversation_id', 'sender_user_id', 'content', 'metadata_json'],
    ],
  ])('%s', (_name, input, fields) => {
    expect(violationsOf(input)).toEqual(fields);
  });

  it('treats an empty message type as text and an empty key as no key', () => {
    const draft = validateSend({ ...valid, messageType: '', idempotencyKey: '' }, DEFAULT_LIMITS);
    expect(draft.messageType).toBe('text');
    expect(draft.idempotencyKey).toBeNull();
  });

  it('fingerprints the payload, not the key', () => {
    const a = validateSend(valid, DEFAULT_LIMITS);
    const b = validateSend({ ...valid, idempotencyKey: 'other' }, DEFAULT_LIMITS);
    const c = validateSend({ ...valid, content: 'hello!' }, DEFAULT_LIMITS);
    const d = validateSend({ ...valid, messageType: 'tex', content: 'thello' }, DEFAULT_LIMITS);
    expect(a.payloadHash).toBe(b.payloadHash);
    expect(a.payloadHash).not.toBe(c.payloadHash);
    expect(a.payloadHash).not.toBe(d.payloadHash);
  });
});

describe('Message', () => {
  const draft = validateSend({ ...valid, metadataJson: '{"x":1}' }, DEFAULT_LIMITS);
  const msg = Message.create(draft, '00000000-0000-4000-8000-000000000001', 7, new Date(0));

  it('serves content until deleted, then a tombstone', () => {
    expect(msg.view()).toMatchObject({
      content: 'hello',
      metadataJson: '{"x":1}',
      deletedAt: null,
    });
    const soft = msg.deleted({
      sequence: 9,
      deletedAt: new Date(1),
      mode: 'soft',
      actorUserId: 'a',
    });
    expect(soft.view()).toMatchObject({
      content: '',
      metadataJson: '',
      sequence: 7,
      deletionMode: 'soft',
    });
    expect(soft.props.content).toBe('hello');
    const hard = soft.deleted({
      sequence: 10,
      deletedAt: new Date(2),
      mode: 'hard',
      actorUserId: 'a',
    });
    expect(hard.props.content).toBeNull();
    expect(hard.props.metadataJson).toBeNull();
  });

  it.each<[string, 'soft' | 'hard' | null, 'soft' | 'hard', boolean]>([
    ['soft delete of a live message', null, 'soft', true],
    ['hard delete of a live message', null, 'hard', true],
    ['soft over soft', 'soft', 'soft', false],
    ['hard over soft erases', 'soft', 'hard', true],
    ['soft over hard', 'hard', 'soft', false],
    ['hard over hard', 'hard', 'hard', false],
  ])('%s', (_name, current, mode, expected) => {
    const m = current
      ? msg.deleted({ sequence: 8, deletedAt: new Date(1), mode: current, actorUserId: 'a' })
      : msg;
    expect(m.needsDeletion(mode)).toBe(expected);
  });
});
