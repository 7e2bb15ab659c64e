import { ServiceError, status } from '@grpc/grpc-js';

/** The codes a call may answer while a dependency recovers: anything else is a bug. */
export const RECOVERING = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED] as const;

/**
 * Retries `attempt` until it succeeds and returns its result. Only a gRPC error whose code is in
 * `retryOn` means "not yet"; any other error (an INTERNAL during recovery, a wrong argument) is
 * thrown at once, so that a recovery loop cannot hide it.
 */
export async function untilSucceeds<T>(
  what: string,
  attempt: () => Promise<T>,
  { timeoutMs = 15_000, intervalMs = 100, retryOn = RECOVERING as readonly status[] } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: ServiceError | undefined;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (e) {
      const code = (e as ServiceError).code;
      if (typeof code !== 'number' || !retryOn.includes(code)) throw e;
      last = e as ServiceError;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last?.message}`);
}
