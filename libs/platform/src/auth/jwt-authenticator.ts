import { DomainError } from '@realchat/domain';
import { errors, jwtVerify, JWTVerifyGetKey } from 'jose';
import type { CallContext } from '../grpc-unary';
import type { Authenticator } from './authenticator';

/** Signature algorithms a token may use: asymmetric only (see JWT_ALGORITHMS). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export interface JwtAuthenticatorOptions {
  /** Resolves the verification key of a token (a JWKS file or URL). */
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  /** Tolerance for exp and nbf, in seconds (clocks of issuer and service differ a little). */
  readonly clockSkewSeconds: number;
  /** Accepted `alg` values; never a symmetric one (an HS256 token "signed" with the public key). */
  readonly algorithms: readonly string[];
}

/**
 * AUTH_MODE=jwt: the caller proves who it is with a Bearer token in `authorization` metadata,
 * signed by a key of the configured JWKS, for this audience, from this issuer, and valid now.
 * The token's `sub` is the acting user; an x-user-id that names anyone else is refused.
 */
export class JwtAuthenticator implements Authenticator {
  readonly mode = 'jwt' as const;

  constructor(private readonly options: JwtAuthenticatorOptions) {}

  async authenticate(ctx: CallContext): Promise<CallContext> {
    const token = bearerToken(ctx.authorization);
    let subject: string;
    try {
      const { payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockSkewSeconds,
        algorithms: [...this.options.algorithms],
        // A token without exp would be valid forever.
        requiredClaims: ['sub', 'exp'],
      });
      subject = payload.sub ?? '';
    } catch (e) {
      throw refusal(e);
    }
    if (!subject) throw unauthenticated('the token has an empty subject (sub)');
    if (ctx.userId && ctx.userId !== subject) {
      throw DomainError.permissionDenied(
        `x-user-id ${ctx.userId} differs from the token's subject ${subject}`,
      );
    }
    return { ...ctx, userId: subject, authorization: undefined };
  }
}

function unauthenticated(why: string): DomainError {
  return new DomainError('unauthenticated', `invalid token: ${why}`);
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) {
    throw new DomainError(
      'unauthenticated',
      'metadata authorization ("Bearer <token>") is required',
    );
  }
  const m = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (!m) {
    throw new DomainError(
      'unauthenticated',
      'metadata authorization must be "Bearer <token>" (another scheme or extra spaces)',
    );
  }
  return m[1];
}

/**
 * Why a token was refused, precisely but without echoing it. Every token problem is
 * UNAUTHENTICATED; only a key set that cannot be fetched is the service's fault (UNAVAILABLE).
 */
function refusal(e: unknown): DomainError {
  if (e instanceof errors.JWTExpired) return unauthenticated('expired (exp)');
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'nbf':
        return unauthenticated('not yet valid (nbf)');
      case 'iat':
        return unauthenticated('issued in the future (iat)');
      case 'iss':
        return unauthenticated('unexpected issuer (iss)');
      case 'aud':
        return unauthenticated('unexpected audience (aud)');
      default:
        return unauthenticated(`claim ${e.claim}: ${e.reason}`);
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed)
    return unauthenticated('algorithm (alg) not allowed; only asymmetric signatures are accepted');
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return unauthenticated('signature verification failed (not signed by a trusted key)');
  if (e instanceof errors.JWKSNoMatchingKey)
    return unauthenticated('no trusted key matches the token (kid/alg)');
  if (e instanceof errors.JWKSMultipleMatchingKeys)
    return unauthenticated('several trusted keys match the token; it must name its kid');
  if (e instanceof errors.JWKSTimeout)
    return DomainError.unavailable('the token key set (JWKS) could not be fetched in time', e);
  if (e instanceof errors.JWKSInvalid)
    return DomainError.unavailable('the token key set (JWKS) is invalid', e);
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid)
    return unauthenticated('malformed token');
  if (e instanceof errors.JOSENotSupported)
    return unauthenticated('unsupported token (alg, crit or key type)');
  // jose throws its plain base error when the JWKS URL answers other than 200 OK.
  if (e instanceof errors.JOSEError && e.constructor === errors.JOSEError)
    return DomainError.unavailable('the token key set (JWKS) could not be fetched', e);
  if (e instanceof errors.JOSEError) return unauthenticated(`rejected (${e.code})`);
  // Non-JOSE errors from the remote key set (e.g. a refused connection) are the key set's
  // unavailability, not the caller's fault and not a bug.
  return DomainError.unavailable('the token key set (JWKS) could not be fetched', e);
}
