import { TrustedHeaderAuthenticator } from '../../src';

describe('TrustedHeaderAuthenticator', () => {
  it('takes x-user-id at face value and drops any authorization metadata', async () => {
    const out = await new TrustedHeaderAuthenticator().authenticate({
      userId: 'alice',
      authorization: 'Bearer ignored',
    });
    expect(out).toEqual({ userId: 'alice', authorization: undefined });
  });

  it('refuses a call without x-user-id as unauthenticated', async () => {
    await expect(
      new TrustedHeaderAuthenticator().authenticate({ userId: '' }),
    ).rejects.toMatchObject({
      kind: 'unauthenticated',
      message: 'metadata x-user-id (the acting user) is required',
    });
  });

  it('lets it through anonymously when not required (conversation-stub admin operations)', async () => {
    const out = await new TrustedHeaderAuthenticator({ required: false }).authenticate({
      userId: '',
    });
    expect(out.userId).toBe('');
  });
});
