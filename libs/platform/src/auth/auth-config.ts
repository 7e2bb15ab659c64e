import { createRemoteJWKSet } from 'jose';
import { ConfigError, ConfigOf, int, oneOf, str, Var } from '../config';
import type { Logger } from '../logger';
import { AUTH_MODES, AuthMode, Authenticator } from './authenticator';
import { JwksFile } from './jwks-file';
import { ASYMMETRIC_ALGORITHMS, JwtAuthenticator } from './jwt-authenticator';
import { TrustedHeaderAuthenticator } from './trusted-header-authenticator';

const algorithms = (doc: string, def: string[]): Var<string[]> => ({
  doc,
  default: def,
  parse: (s) => {
    const list = s.split(',').map((a) => a.trim());
    const bad = list.filter((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
    if (bad.length) {
      throw new Error(
        `${bad.join(', ')} not allowed; use asymmetric ones: ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      );
    }
    return list;
  },
});

/** The variables of AUTH_MODE, shared by message-api and conversation-stub. */
export const authConfigSpec = {
  AUTH_MODE: oneOf(
    'who the caller is: trusted-header (x-user-id set by a trusted gateway) or jwt (a verified Bearer token)',
    AUTH_MODES,
    'trusted-header',
  ),
  JWT_ISSUER: str('AUTH_MODE=jwt: the required token issuer (iss)', ''),
  JWT_AUDIENCE: str('AUTH_MODE=jwt: the required token audience (aud)', ''),
  JWT_JWKS_FILE: str('AUTH_MODE=jwt: path of a JWKS file (re-read when it changes)', ''),
  JWT_JWKS_URL: str('AUTH_MODE=jwt: https URL of a JWKS (cached, re-fetched on unknown kid)', ''),
  JWT_CLOCK_SKEW_S: int('AUTH_MODE=jwt: tolerance for exp and nbf, in seconds', 30, 0, 300),
  JWT_ALGORITHMS: algorithms(
    'AUTH_MODE=jwt: accepted signature algorithms, comma-separated (asymmetric only)',
    ['RS256', 'ES256', 'EdDSA'],
  ),
};

export type AuthConfig = ConfigOf<typeof authConfigSpec>;

/**
 * The cross-variable rules of AUTH_MODE (a loadConfig check): jwt needs an issuer, an audience
 * and exactly one key set source. Each problem names its variable.
 */
export function authConfigProblems(c: Partial<AuthConfig>): string[] {
  if (c.AUTH_MODE !== 'jwt') return [];
  const problems: string[] = [];
  if (!c.JWT_ISSUER) problems.push('JWT_ISSUER is required in jwt mode (AUTH_MODE)');
  if (!c.JWT_AUDIENCE) problems.push('JWT_AUDIENCE is required in jwt mode (AUTH_MODE)');
  if (!c.JWT_JWKS_FILE && !c.JWT_JWKS_URL)
    problems.push('JWT_JWKS_FILE or JWT_JWKS_URL is required in jwt mode (AUTH_MODE)');
  if (c.JWT_JWKS_FILE && c.JWT_JWKS_URL)
    problems.push('JWT_JWKS_FILE and JWT_JWKS_URL: set only one of them');
  if (c.JWT_JWKS_URL) {
    try {
      const u = new URL(c.JWT_JWKS_URL);
      if (!['https:', 'http:'].includes(u.protocol)) throw new Error('not http(s)');
    } catch {
      problems.push(`JWT_JWKS_URL=${JSON.stringify(c.JWT_JWKS_URL)}: must be an https URL`);
    }
  }
  return problems;
}

/**
 * The Authenticator of the configured mode. Reads the JWKS file now, so that an unreadable one
 * stops the start with a ConfigError naming JWT_JWKS_FILE.
 * `required: false` (conversation-stub) lets trusted-header calls without x-user-id through.
 */
export function createAuthenticator(
  c: AuthConfig,
  options: { required?: boolean } = {},
): Authenticator {
  if (c.AUTH_MODE === 'trusted-header') return new TrustedHeaderAuthenticator(options);
  let keys;
  if (c.JWT_JWKS_FILE) {
    try {
      keys = new JwksFile(c.JWT_JWKS_FILE).getKey;
    } catch (e) {
      throw new ConfigError([
        `JWT_JWKS_FILE=${JSON.stringify(c.JWT_JWKS_FILE)}: cannot load the key set: ${(e as Error).message}`,
      ]);
    }
  } else {
    // jose caches the set, re-fetches it on an unknown kid (at most every cooldown) and after
    // cacheMaxAge, which is how a rotated key set reaches the service.
    keys = createRemoteJWKSet(new URL(c.JWT_JWKS_URL), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }
  return new JwtAuthenticator({
    keys,
    issuer: c.JWT_ISSUER,
    audience: c.JWT_AUDIENCE,
    clockSkewSeconds: c.JWT_CLOCK_SKEW_S,
    algorithms: c.JWT_ALGORITHMS,
  });
}

/**
 * Logs the mode at start, and warns when trusted-header runs without mTLS: then anyone who can
 * reach the port can act as any user.
 */
export function logAuthMode(logger: Logger, mode: AuthMode, mtls: boolean): void {
  if (mode === 'trusted-header' && !mtls) {
    logger.warn(
      { authMode: mode, mtls },
      'AUTH_MODE=trusted-header without mTLS: x-user-id is taken at face value from anyone who can reach this port; ' +
        'allow only the gateway to connect (mTLS or a network policy) or use AUTH_MODE=jwt',
    );
  } else logger.info({ authMode: mode, mtls }, `authenticating callers by ${mode}`);
}
