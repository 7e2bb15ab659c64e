import { Metadata, status } from '@grpc/grpc-js';
import { SendMessageRequest, SendMessageResponse } from '@realchat/proto';
import type { AppProcess } from './app-process';
import type { MessageApi } from './clients';
import { untilSucceeds } from './recovery';

/**
 * Sends until the service accepts the message, the way a well-behaved client retries: only
 * UNAVAILABLE and DEADLINE_EXCEEDED are retried (with the same request, so an idempotency key
 * makes the retries safe); any other status fails at once, because it would mean the outage
 * produced a wrong answer (see untilSucceeds). Fails after `timeoutMs`.
 */
export function sendWhenAvailable(
  api: MessageApi,
  userId: string,
  req: Partial<SendMessageRequest>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<SendMessageResponse> {
  return untilSucceeds('a send to be accepted', () => api.send(userId, req), {
    timeoutMs,
    intervalMs,
  });
}

/**
 * One SendMessage with the given deadline; resolves with the status code (0 = OK) and, when
 * accepted, the stored message's sequence.
 */
export function sendWithDeadline(
  api: MessageApi,
  userId: string,
  req: Partial<SendMessageRequest>,
  deadline: Date,
): Promise<{ code: number; sequence?: number }> {
  const md = new Metadata();
  md.set('x-user-id', userId);
  return new Promise((resolve) =>
    api.client.sendMessage(
      SendMessageRequest.fromPartial({ messageType: 'text', ...req }),
      md,
      { deadline },
      (e, res) =>
        resolve(e ? { code: e.code } : { code: status.OK, sequence: res.message?.sequence }),
    ),
  );
}

/**
 * How the server classified the failed calls of `method` it logged from log line `from` on: the
 * error kind of each (e.g. 'deadline-exceeded', 'unavailable'). The client cannot see this when
 * its own deadline fired first, so tests read it from the server's log.
 */
export function loggedFailureKinds(app: AppProcess, method: string, from = 0): string[] {
  return app
    .logs()
    .slice(from)
    .filter((l) => l.method === method && typeof l.kind === 'string')
    .map((l) => l.kind as string);
}
