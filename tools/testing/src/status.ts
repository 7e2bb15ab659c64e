import { ServiceError, status } from '@grpc/grpc-js';
import { errorInfoOf, fieldViolationsOf, retryDelayMsOf } from '@realchat/platform';

/**
 * Awaits a call that must fail; returns its status code, details, field violations, and the
 * google.rpc.ErrorInfo and RetryInfo delay when the status carries them.
 */
export async function failure(call: Promise<unknown>): Promise<{
  code: status;
  details: string;
  fields: string[];
  info: { reason: string; metadata: Record<string, string> } | null;
  retryDelayMs?: number;
}> {
  try {
    await call;
  } catch (e) {
    const err = e as ServiceError;
    if (typeof err.code !== 'number') throw e;
    return {
      code: err.code,
      details: err.details,
      fields: fieldViolationsOf(err.metadata).map((v) => v.field),
      info: errorInfoOf(err.metadata),
      retryDelayMs: retryDelayMsOf(err.metadata),
    };
  }
  throw new Error('the call succeeded but should have failed');
}

export { status };
