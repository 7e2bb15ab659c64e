import { DomainError } from '@realchat/domain';

// Prisma error codes that mean "the database could not be reached or did not answer in time".
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
// PostgreSQL SQLSTATEs and socket errors with the same meaning: connection exceptions (08*),
// admin shutdown / crash / cannot connect now (57P*), too many connections, query canceled.
const PG_UNAVAILABLE = /^(08|57P|53300|57014)/;
/** A PostgreSQL SQLSTATE, e.g. 23505 or 42P01 (not a Prisma code such as P2010). */
const SQLSTATE = /^(?!P[1-9])[0-9A-Z]{5}$/;
const SOCKET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const MESSAGE_UNAVAILABLE =
  /(can't reach database|connect|connection|terminat|timeout|timed out|ECONNREFUSED|Transaction already closed|Transaction API error|DatabaseNotReachable|ConnectionClosed)/i;
// Ways a statement ends because a time bound we set ran out: query_canceled (statement_timeout),
// lock_not_available (lock_timeout), transaction_timeout, and no pooled connection in time.
const TIMEOUT_CODES = new Set(['57014', '55P03', '25P04', 'TX_TIMEOUT']);
// A clock reading taken as the error arrives may be a hair early for a bound the server timed.
const DEADLINE_SLACK_MS = 10;

type ErrorLike = {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  meta?: { driverAdapterError?: unknown };
};

/**
 * True when `e` says the database is unreachable or too slow. Walks the cause chain, including
 * the driver adapter's error that Prisma attaches as `meta.driverAdapterError` (raw queries
 * report an unreachable server as P2010 with `cause.kind = DatabaseNotReachable`).
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 8; depth++) {
    const err = cur as ErrorLike;
    const codes = [err.code, err.originalCode].filter((c): c is string => typeof c === 'string');
    if (
      codes.some(
        (c) => PRISMA_UNAVAILABLE.has(c) || PG_UNAVAILABLE.test(c) || SOCKET_UNAVAILABLE.has(c),
      )
    )
      return true;
    if (
      typeof err.kind === 'string' &&
      /NotReachable|ConnectionClosed|SocketTimeout|TransactionAlreadyClosed/.test(err.kind)
    )
      return true;
    // A PostgreSQL server error carries its SQLSTATE, which is the truth: a bug whose text
    // happens to say "connection" or "timeout" must stay INTERNAL, not become a retryable
    // UNAVAILABLE. The message is only read for errors without one (sockets, pool, adapters).
    const sqlState = codes.some((c) => SQLSTATE.test(c));
    if (!sqlState && typeof err.message === 'string' && MESSAGE_UNAVAILABLE.test(err.message))
      return true;
    cur = err.meta?.driverAdapterError ?? err.cause;
  }
  return false;
}

/** True when `e` is a statement, lock or transaction timeout (see Database.transaction). */
function isDatabaseTimeout(e: unknown): boolean {
  const code = (e as ErrorLike | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code);
}

/**
 * Runs a database call, turning "database unreachable" into a retryable UNAVAILABLE domain
 * error, and a time bound that ran out because the caller's `deadline` passed into
 * DEADLINE_EXCEEDED (a timeout of our own bound, before the deadline, stays UNAVAILABLE: the
 * database was too slow). Anything else (a bug) propagates unchanged and becomes INTERNAL.
 */
export async function withDatabase<T>(
  what: string,
  call: () => Promise<T>,
  deadline?: Date,
): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof DomainError) throw e;
    if (
      deadline &&
      Date.now() >= deadline.getTime() - DEADLINE_SLACK_MS &&
      (isDatabaseTimeout(e) || isDatabaseUnavailable(e))
    ) {
      throw DomainError.deadlineExceeded(`the deadline passed while ${what}`, e);
    }
    if (isDatabaseUnavailable(e))
      throw DomainError.unavailable(`database unavailable while ${what}; retry later`, e);
    throw e;
  }
}
