import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, JSONWebKeySet, JWTVerifyGetKey } from 'jose';

/** How often the file is re-read, at most, when no token asks for a new key. */
const CHECK_INTERVAL_MS = 1000;

/**
 * A JWKS read from a file (JWT_JWKS_FILE), e.g. a mounted Kubernetes Secret. Rotation needs no
 * restart: the file is re-read once a second at most, and at once when a token names a key id
 * the loaded set lacks, so a token signed with a freshly published key is accepted as soon as
 * the file holds it. (Its content is compared, not its mtime, which may not change within a
 * coarse timestamp tick.)
 */
export class JwksFile {
  private keys: JWTVerifyGetKey;
  private text: string;
  private checkedAt = Date.now();

  /** Reads the file now: a missing or invalid file fails the start-up, not the first call. */
  constructor(private readonly path: string) {
    this.text = readFileSync(path, 'utf8');
    this.keys = parse(this.text);
  }

  /** The key resolver for jose's jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (Date.now() - this.checkedAt >= CHECK_INTERVAL_MS) await this.reloadIfChanged();
    try {
      return await this.keys(header, token);
    } catch (e) {
      // An unknown kid may be a key published since the last look: look again, once.
      if (!(e instanceof errors.JWKSNoMatchingKey) || !(await this.reloadIfChanged())) throw e;
      return this.keys(header, token);
    }
  };

  /** Re-reads the file if it changed; true when a new key set was loaded. */
  private async reloadIfChanged(): Promise<boolean> {
    this.checkedAt = Date.now();
    try {
      const text = await readFile(this.path, 'utf8');
      if (text === this.text) return false;
      this.keys = parse(text);
      this.text = text;
      return true;
    } catch {
      // A file caught mid-write (or briefly missing during a Secret update) keeps the last good
      // set; the next look retries.
      return false;
    }
  }
}

function parse(text: string): JWTVerifyGetKey {
  const jwks = JSON.parse(text) as JSONWebKeySet;
  if (!Array.isArray(jwks?.keys)) throw new Error('not a JWKS: "keys" must be an array');
  return createLocalJWKSet(jwks);
}
