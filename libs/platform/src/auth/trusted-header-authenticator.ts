import { DomainError } from '@realchat/domain';
import type { CallContext } from '../grpc-unary';
import type { Authenticator } from './authenticator';

/**
 * AUTH_MODE=trusted-header: `x-user-id` is taken at face value. Safe only when nothing but the
 * authenticating gateway can reach the service (mTLS or a network policy; docs/security.md).
 */
export class TrustedHeaderAuthenticator implements Authenticator {
  readonly mode = 'trusted-header' as const;

  /**
   * `required: false` lets a call without x-user-id through with userId '' (the
   * conversation-stub's admin operations name their actor in the request, as they always did).
   */
  constructor(private readonly options: { required?: boolean } = {}) {}

  authenticate(ctx: CallContext): Promise<CallContext> {
    if (!ctx.userId && this.options.required !== false) {
      return Promise.reject(
        new DomainError('unauthenticated', 'metadata x-user-id (the acting user) is required'),
      );
    }
    return Promise.resolve({ ...ctx, authorization: undefined });
  }
}
