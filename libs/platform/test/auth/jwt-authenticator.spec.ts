import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  JWK,
  KeyLike,
  SignJWT,
} from 'jose';
import { CallContext, JwksFile, JwtAuthenticator } from '../../src';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'realchat-message-api';

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, publicKey, privateKey, jwk };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token for `sub`; `claims` override the valid defaults (undefined removes one). */
function token(
  key: { kid: string; privateKey: KeyLike },
  claims: Record<string, unknown> = {},
): Promise<string> {
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now() + 300, ...claims };
  for (const k of Object.keys(payload))
    if (payload[k as keyof typeof payload] === undefined) delete payload[k as keyof typeof payload];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuedAt()
    .sign(key.privateKey);
}

const ctx = (authorization?: string, userId = ''): CallContext => ({ userId, authorization });

describe('JwtAuthenticator', () => {
  let key: Awaited<ReturnType<typeof signingKey>>;
  let other: Awaited<ReturnType<typeof signingKey>>;
  let auth: JwtAuthenticator;

  beforeAll(async () => {
    key = await signingKey('k1');
    other = await signingKey('k2');
    auth = new JwtAuthenticator({
      keys: createLocalJWKSet({ keys: [key.jwk] }),
      issuer: ISSUER,
      audience: AUDIENCE,
      clockSkewSeconds: 30,
      algorithms: ['RS256', 'ES256', 'EdDSA'],
    });
  });

  it('takes the acting user from the subject and drops the token from the context', async () => {
    const out = await auth.authenticate(ctx(`Bearer ${await token(key)}`));
    expect(out).toEqual({ userId: 'alice', authorization: undefined });
    // An x-user-id naming the same user is fine.
    expect((await auth.authenticate(ctx(`Bearer ${await token(key)}`, 'alice'))).userId).toBe(
      'alice',
    );
  });

  it('tolerates the configured clock skew on exp and nbf', async () => {
    const t = await token(key, { exp: now() - 10, nbf: now() + 10 });
    expect((await auth.authenticate(ctx(`Bearer ${t}`))).userId).toBe('alice');
  });

  it('refuses an x-user-id other than the subject as permission-denied', async () => {
    await expect(
      auth.authenticate(ctx(`Bearer ${await token(key)}`, 'mallory')),
    ).rejects.toMatchObject({
      kind: 'permission-denied',
      message: expect.stringContaining('mallory'),
    });
  });

  const attacks: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no authorization metadata', async () => undefined, /authorization .* is required/],
    [
      'another scheme',
      async () => `Basic ${Buffer.from('a:b').toString('base64')}`,
      /must be "Bearer <token>"/,
    ],
    ['a malformed token', async () => 'Bearer not-a-jwt', /malformed token/],
    ['a token of three garbage parts', async () => 'Bearer a.b.c', /malformed token/],
    [
      'alg none',
      async () =>
        `Bearer ${b64({ alg: 'none' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now() + 300 })}.`,
      /algorithm \(alg\) not allowed/,
    ],
    [
      'HS256 signed with the public key as the secret',
      async () => {
        const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
        const t = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now() + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .sign(secret);
        return `Bearer ${t}`;
      },
      /algorithm \(alg\) not allowed/,
    ],
    [
      'a key the set does not hold, claiming a trusted kid',
      async () => `Bearer ${await token({ kid: 'k1', privateKey: other.privateKey })}`,
      /signature verification failed/,
    ],
    [
      'a key the set does not hold',
      async () => `Bearer ${await token(other)}`,
      /no trusted key matches/,
    ],
    [
      'an expired token',
      async () => `Bearer ${await token(key, { exp: now() - 120 })}`,
      /expired \(exp\)/,
    ],
    [
      'a token not yet valid',
      async () => `Bearer ${await token(key, { nbf: now() + 120 })}`,
      /not yet valid \(nbf\)/,
    ],
    [
      'another audience',
      async () => `Bearer ${await token(key, { aud: 'someone-else' })}`,
      /unexpected audience/,
    ],
    [
      'another issuer',
      async () => `Bearer ${await token(key, { iss: 'https://evil.test' })}`,
      /unexpected issuer/,
    ],
    ['no exp', async () => `Bearer ${await token(key, { exp: undefined })}`, /claim exp/],
    ['no subject', async () => `Bearer ${await token(key, { sub: undefined })}`, /claim sub/],
  ];

  it.each(attacks)('refuses %s as unauthenticated with a precise message', async (_, make, why) => {
    const e = await auth.authenticate(ctx(await make())).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ kind: 'unauthenticated', message: expect.stringMatching(why) });
  });
});

describe('JwksFile', () => {
  it('accepts a token of a key published after the start, without a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jwks-'));
    const file = path.join(dir, `${randomUUID()}.json`);
    const [k1, k2] = [await signingKey('k1'), await signingKey('k2')];
    writeFileSync(file, JSON.stringify({ keys: [k1.jwk] }));
    const auth = new JwtAuthenticator({
      keys: new JwksFile(file).getKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockSkewSeconds: 0,
      algorithms: ['ES256'],
    });
    const t2 = `Bearer ${await token(k2)}`;
    await expect(auth.authenticate(ctx(t2))).rejects.toMatchObject({ kind: 'unauthenticated' });
    // Rotation: k2 is published, k1 retired.
    writeFileSync(file, JSON.stringify({ keys: [k2.jwk] }));
    expect((await auth.authenticate(ctx(t2))).userId).toBe('alice');
    // k1 is gone once the file no longer holds it (its tokens are refused from then on).
    await expect(auth.authenticate(ctx(`Bearer ${await token(k1)}`))).rejects.toMatchObject({
      kind: 'unauthenticated',
    });
  });

  it('refuses to start from a file that is not a key set', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jwks-')), 'bad.json');
    writeFileSync(file, '{"nokeys": true}');
    expect(() => new JwksFile(file)).toThrow(/not a JWKS/);
  });
});

describe('JwtAuthenticator with a JWKS URL', () => {
  const authAt = (url: string) =>
    new JwtAuthenticator({
      keys: createRemoteJWKSet(new URL(url), { timeoutDuration: 2000 }),
      issuer: ISSUER,
      audience: AUDIENCE,
      clockSkewSeconds: 0,
      algorithms: ['ES256'],
    });

  it('answers unavailable, not unauthenticated or internal, when the key set cannot be fetched', async () => {
    const key = await signingKey('k1');
    const server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const t = ctx(`Bearer ${await token(key)}`);
      await expect(
        authAt(`http://127.0.0.1:${port}/jwks.json`).authenticate(t),
      ).rejects.toMatchObject({
        kind: 'unavailable',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    // Nothing listens there any more: the connection is refused.
    await expect(
      authAt(`http://127.0.0.1:${port}/jwks.json`).authenticate(ctx(`Bearer ${await token(key)}`)),
    ).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
