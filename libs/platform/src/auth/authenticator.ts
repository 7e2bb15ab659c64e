import type { CallContext } from '../grpc-unary';

/** The two ways a service learns who calls it (AUTH_MODE). */
export const AUTH_MODES = ['trusted-header', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The port between the transport and the use cases that says who the acting user is. Handlers
 * call it first; use cases then trust `ctx.userId`. Adapters: trusted-header (x-user-id set by a
 * gateway that already authenticated the user) and jwt (a verified Bearer token).
 *
 * Failures are DomainErrors ('unauthenticated' or 'permission-denied', 'unavailable' when the
 * key set cannot be fetched), mapped to gRPC status in grpc-status.ts like every other error.
 */
export interface Authenticator {
  readonly mode: AuthMode;
  /**
   * The call's context with `userId` set to the authenticated acting user ('' only when the
   * adapter allows anonymous callers) and the raw credentials removed, so that nothing past the
   * transport can log or forward them.
   */
  authenticate(ctx: CallContext): Promise<CallContext>;
}
