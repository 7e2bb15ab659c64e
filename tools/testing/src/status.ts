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

/** The status a call ends with: OK, or its error's gRPC code. */
export function statusOf(call: Promise<unknown>): Promise<status> {
  return call.then(
    () => status.OK,
    (e: { code?: number }) => {
      if (typeof e.code !== 'number') throw e;
      return e.code as status;
    },
  );
}

export { status };
