import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import { registerCleanup } from './cleanup-registry';

interface SigningKey {
  readonly kid: string;
  readonly publicKey: KeyLike;
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const kid = randomUUID();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, publicKey, privateKey, jwk };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const epoch = () => Math.floor(Date.now() / 1000);

/**
 * A token issuer for tests: keys generated at test time (never committed), published as a JWKS
 * file and over HTTP, valid tokens and each token attack of docs/security.md.
 */
export class TokenIssuer {
  private published: SigningKey[];
  /** The JWKS file (JWT_JWKS_FILE); rewritten by publish(). */
  readonly jwksFile: string;

  private constructor(
    readonly issuer: string,
    readonly audience: string,
    private key: SigningKey,
  ) {
    this.published = [key];
    this.jwksFile = path.join(mkdtempSync(path.join(tmpdir(), 'realchat-jwks-')), 'jwks.json');
    this.writeFile();
  }

  static async create(audience = 'realchat'): Promise<TokenIssuer> {
    return new TokenIssuer(`https://issuer-${randomUUID()}.test`, audience, await newKey());
  }

  /** The environment of a service that trusts this issuer through its JWKS file. */
  env(): Record<string, string> {
    return {
      AUTH_MODE: 'jwt',
      JWT_ISSUER: this.issuer,
      JWT_AUDIENCE: this.audience,
      JWT_JWKS_FILE: this.jwksFile,
    };
  }

  /** A valid token for `sub`; `claims` override the defaults (undefined removes a claim). */
  token(
    sub: string,
    claims: Record<string, unknown> = {},
    key: SigningKey = this.key,
  ): Promise<string> {
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.audience,
      sub,
      iat: epoch(),
      exp: epoch() + 300,
      ...claims,
    };
    for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(key.privateKey);
  }

  /** `authorization` metadata carrying a valid token for `sub`. */
  async bearer(sub: string): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token(sub)}` };
  }

  /**
   * Rotation: a new signing key is published next to the current one (or alone, retiring it)
   * and signs from now on.
   */
  async rotate(options: { retireOld: boolean }): Promise<void> {
    const next = await newKey();
    this.published = options.retireOld ? [next] : [...this.published, next];
    this.key = next;
    this.writeFile();
  }

  /**
   * Each attack of docs/security.md as `authorization` metadata for `sub`, with the words the
   * service's UNAUTHENTICATED message must contain.
   */
  async attacks(sub: string): Promise<[string, string | null, RegExp][]> {
    const claims = { iss: this.issuer, aud: this.audience, sub, exp: epoch() + 300 };
    const stranger = await newKey();
    const hmacSecret = new TextEncoder().encode(await exportSPKI(this.key.publicKey));
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: this.key.kid })
      .sign(hmacSecret);
    return [
      ['no token', null, /authorization .*is required/],
      [
        'alg none',
        `${b64({ alg: 'none', kid: this.key.kid })}.${b64(claims)}.`,
        /algorithm \(alg\) not allowed/,
      ],
      ['HS256 with the public key as secret', hs256, /algorithm \(alg\) not allowed/],
      [
        'a wrong key under a trusted kid',
        await this.token(sub, {}, { ...stranger, kid: this.key.kid }),
        /signature verification failed/,
      ],
      [
        'a wrong key under its own kid',
        await this.token(sub, {}, stranger),
        /no trusted key matches/,
      ],
      ['expired', await this.token(sub, { exp: epoch() - 600 }), /expired \(exp\)/],
      ['not yet valid', await this.token(sub, { nbf: epoch() + 600 }), /not yet valid \(nbf\)/],
      [
        'a wrong audience',
        await this.token(sub, { aud: 'another-service' }),
        /unexpected audience/,
      ],
      ['a wrong issuer', await this.token(sub, { iss: 'https://evil.test' }), /unexpected issuer/],
      ['a malformed token', 'not.a-token', /malformed token/],
      [
        'a truncated token',
        (await this.token(sub)).split('.').slice(0, 2).join('.'),
        /malformed token/,
      ],
    ];
  }

  /**
   * Serves the published key set on http://127.0.0.1:<free port>/jwks.json (JWT_JWKS_URL);
   * stopped by the Jest setup at the end of the test or suite.
   */
  async serve(): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registerCleanup({
      what: 'JWKS server',
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections(); // jose's fetch may keep one open
        }),
    });
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/jwks.json`, requests: () => requests };
  }

  private writeFile(): void {
    writeFileSync(this.jwksFile, JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
  }
}
