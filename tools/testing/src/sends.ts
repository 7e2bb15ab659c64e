import { ServiceError, status } from '@grpc/grpc-js';
import type { SendMessageRequest, SendMessageResponse } from '@realchat/proto';
import type { MessageApi } from './clients';

/** The statuses the API documents as "retry later": a dependency is away or slow. */
const RETRYABLE = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

/**
 * Sends until the service accepts the message, the way a well-behaved client retries: only
 * UNAVAILABLE and DEADLINE_EXCEEDED are retried (with the same request, so an idempotency key
 * makes the retries safe); any other status fails at once, because it would mean the outage
 * produced a wrong answer. Fails after `timeoutMs` with the last retryable status.
 */
export async function sendWhenAvailable(
  api: MessageApi,
  userId: string,
  req: Partial<SendMessageRequest>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<SendMessageResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: ServiceError | undefined;
  for (;;) {
    try {
      return await api.send(userId, req);
    } catch (e) {
      const err = e as ServiceError;
      if (!RETRYABLE.has(err.code)) throw e;
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `no send accepted within ${timeoutMs} ms; last status ${status[last.code]}: ${last.details}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
