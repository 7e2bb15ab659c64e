import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
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
 * Adapts an async handler to grpc-js: the result or the mapped error status goes back to the
 * client; unexpected errors are logged with their stack and become INTERNAL.
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  handler: (request: Req, ctx: CallContext) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const ctx = callContext(call as ServerUnaryCall<unknown, unknown>);
    const work = Promise.resolve()
      .then(() => {
        rejectIfMalformed(call.request);
        return handler(call.request, ctx);
      })
      .then(
        (res) => callback(null, res),
        (e: unknown) => {
          const st = toStatus(e);
          if (st.internal) logger.error({ err: e, method }, 'unexpected error');
          else if (
            e instanceof DomainError &&
            (e.kind === 'unavailable' || e.kind === 'deadline-exceeded')
          ) {
            logger.warn({ method, kind: e.kind, cause: String(e.cause ?? '') }, e.message);
          } else logger.debug({ method, code: st.code, details: st.details }, 'request refused');
          callback({ code: st.code, details: st.details, metadata: st.metadata });
        },
      );
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
}
