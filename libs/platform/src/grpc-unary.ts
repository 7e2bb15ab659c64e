import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { DomainError } from '@realchat/domain';
import type { Logger } from 'pino';
import { rejectIfMalformed } from './grpc-malformed';
import { toStatus } from './grpc-status';
import { activeTraceparent } from './trace-context';

/**
 * What a handler knows about the call besides its request; use cases take the same type (one
 * context from the transport to the database deadline).
 */
export interface CallContext {
  /** The acting user from metadata `x-user-id` ('' when absent; the Authenticator of AUTH_MODE decides whether that may pass). */
  readonly userId: string;
  /**
   * Metadata `authorization` as sent (a Bearer token in AUTH_MODE=jwt). Only an Authenticator
   * reads it; the context it returns no longer carries it, so use cases never see a token.
   */
  readonly authorization?: string;
  /** The client's deadline, if it set one. */
  readonly deadline?: Date;
  /**
   * W3C trace context of the call: the server span's when tracing is on (same trace as the
   * client's), else metadata `traceparent` as the client sent it, if any.
   */
  readonly traceparent?: string;
}

function callContext(call: ServerUnaryCall<unknown, unknown>): CallContext {
  const one = (key: string) => {
    const v = call.metadata.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  };
  const d = call.getDeadline();
  const deadline = d instanceof Date ? d : Number.isFinite(d) ? new Date(d) : undefined;
  return {
    userId: one('x-user-id') ?? '',
    authorization: one('authorization'),
    deadline,
    traceparent: activeTraceparent() ?? one('traceparent'),
  };
}

// Handler work in flight in this process. grpc-js' tryShutdown waits for calls, not for our
// handlers: a call the client cancelled (e.g. its deadline passed) is done for grpc-js while its
// handler still runs, and closing the database or the Conversation API channel under it turns
// its next step into an unexpected error. The drain therefore also waits for this set.
const inFlight = new Set<Promise<void>>();

/** Resolves once every handler started so far has finished (see stopGrpcServer). */
export async function handlersSettled(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/**
 * How much before the client's deadline the server answers DEADLINE_EXCEEDED itself: a tenth of
 * the time left when the call arrives, between 2 and 25 ms.
 *
 * Why answer first: a client whose deadline fires before the answer cancels the call with an
 * HTTP/2 RST_STREAM, and Node's HTTP/2 server (nghttp2's rapid-reset protection: a burst of
 * 1,000 resets, then 33 per second, not configurable in Node 20) closes the whole connection
 * with INTERNAL_ERROR once a client has sent too many, failing every other call on it with
 * INTERNAL. Under overload with short deadlines that is what happened (docs/operations.md).
 * A call the server has already answered is not reset.
 */
function deadlineMarginMs(leftMs: number): number {
  return Math.min(25, Math.max(2, leftMs / 10));
}

/**
 * Adapts an async handler to grpc-js: the result or the mapped error status goes back to the
 * client; unexpected errors are logged with their stack and become INTERNAL. With a client
 * deadline, the handler sees a deadline a margin earlier (deadlineMarginMs), and the call is
 * answered DEADLINE_EXCEEDED then if the handler has not finished: the client is told before
 * its own timer cancels the call, and nothing new starts after that (use cases check the
 * deadline before each step).
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  handler: (request: Req, ctx: CallContext) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    let ctx = callContext(call as ServerUnaryCall<unknown, unknown>);
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const answer: sendUnaryData<Res> = (err, res) => {
      if (answered) return; // the deadline answer went first; the late result is dropped
      answered = true;
      clearTimeout(timer);
      callback(err, res);
    };
    if (ctx.deadline) {
      const left = ctx.deadline.getTime() - Date.now();
      const answerAt = ctx.deadline.getTime() - deadlineMarginMs(left);
      ctx = { ...ctx, deadline: new Date(answerAt) };
      timer = setTimeout(
        () => {
          logger.debug({ method }, 'deadline reached before the call finished');
          answer({
            code: status.DEADLINE_EXCEEDED,
            details: `${method} did not finish before the deadline; a change it was making may still complete (retry with the same idempotency key)`,
          });
        },
        Math.max(0, answerAt - Date.now()),
      );
    }
    const work = Promise.resolve()
      .then(() => {
        rejectIfMalformed(call.request);
        return handler(call.request, ctx);
      })
      .then(
        (res) => answer(null, res),
        (e: unknown) => {
          const st = toStatus(e);
          if (st.internal) logger.error({ err: e, method }, 'unexpected error');
          else if (
            e instanceof DomainError &&
            (e.kind === 'unavailable' || e.kind === 'deadline-exceeded')
          ) {
            logger.warn({ method, kind: e.kind, cause: String(e.cause ?? '') }, e.message);
          } else logger.debug({ method, code: st.code, details: st.details }, 'request refused');
          answer({ code: st.code, details: st.details, metadata: st.metadata });
        },
      );
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
}
