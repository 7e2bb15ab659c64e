import { ServiceError, status } from '@grpc/grpc-js';
import { fieldViolationsOf, retryDelayMsOf } from '@realchat/platform';

/** Awaits a call that must fail; returns its status code, details and field violations. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ code: status; details: string; fields: string[]; retryDelayMs?: number }> {
  try {
    await call;
  } catch (e) {
    const err = e as ServiceError;
    if (typeof err.code !== 'number') throw e;
    return {
      code: err.code,
      details: err.details,
      fields: fieldViolationsOf(err.metadata).map((v) => v.field),
      retryDelayMs: retryDelayMsOf(err.metadata),
    };
  }
  throw new Error('the call succeeded but should have failed');
}

export { status };
