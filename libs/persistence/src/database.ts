import { Pool, PoolClient, QueryConfig } from 'pg';
import type { PrismaClient } from './generated/prisma/client';

export type { Prisma, PrismaClient } from './generated/prisma/client';

export interface DatabaseOptions {
  /** postgresql:// URL of the database. */
  readonly url: string;
  /** Connections in this process' pool. */
  readonly poolSize: number;
  /** Longest wait to open a connection before the call fails as UNAVAILABLE. */
  readonly connectTimeoutMs?: number;
}

export interface TransactionOptions {
  /**
   * Bounds the WHOLE transaction: the wait for a pooled connection, the lock wait and every
   * statement after it, including time the caller spends between statements. Past it, the
   * statement in progress fails with a timeout error (which `withDatabase` reports as
   * DEADLINE_EXCEEDED when the caller's deadline caused it), and the transaction rolls back.
   */
  readonly timeoutMs?: number;
  /**
   * Takes the transaction-level advisory lock `hashtextextended(lockKey, 0)` in the round trip
   * that begins the transaction; it is held until commit or rollback.
   */
  readonly lockKey?: string;
  /**
   * Called with the seconds the round trip that takes `lockKey` lasted, once the lock is held:
   * the wait for the lock (plus one round trip). Lets the app record it without this library
   * knowing about metrics.
   */
  readonly onLockAcquired?: (seconds: number) => void;
}

/**
 * The server ends a transaction that outlives its timeout by ending the session; the margin lets
 * the gentler statement timeout (which only cancels the statement) fire first when the time runs
 * out in one statement, typically the lock wait.
 */
const TRANSACTION_KILL_MARGIN_MS = 25;

/**
 * One connection pool per process:
 * - `pool` (node-postgres) runs every statement of the apps, as named prepared statements;
 * - `prisma` (Prisma 7 over the same pool) is for tooling and tests only. Its client is loaded
 *   on first use, not when this module loads, so that the apps never pay for it: measured on
 *   this machine, a Prisma query costs ~0.2 ms more CPU than the same prepared statement, its
 *   first query loads the wasm query compiler (~90 MB RSS), and merely loading its runtime
 *   costs about 1 MB of heap and 1-2 MB resident. See docs/architecture.md "Data access".
 */
export class Database {
  readonly pool: Pool;
  private prismaClient: PrismaClient | null = null;
  /** Whether the server knows transaction_timeout (PostgreSQL 17+), asked once. */
  private transactionTimeout: Promise<boolean> | null = null;

  constructor(options: DatabaseOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 60_000,
      // A transaction left open by a crashed caller must not hold a conversation's lock forever.
      options: '-c idle_in_transaction_session_timeout=30000',
    });
    // A dropped idle connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  /** The Prisma client on this pool, for tooling and tests (loaded and created on first use). */
  get prisma(): PrismaClient {
    if (!this.prismaClient) {
      // Required here rather than imported at the top: see the class comment. The bundler
      // (esbuild) still inlines the generated client, wrapped so it runs on this first call.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { PrismaClient } =
        require('./generated/prisma/client') as typeof import('./generated/prisma/client');
      const { PrismaPg } = require('@prisma/adapter-pg') as typeof import('@prisma/adapter-pg');
      /* eslint-enable @typescript-eslint/no-require-imports */
      this.prismaClient = new PrismaClient({
        adapter: new PrismaPg(this.pool, { disposeExternalPool: false }),
      });
    }
    return this.prismaClient;
  }

  /**
   * Runs `work` in a transaction on one connection; rolls back if it throws. The timeout and
   * the lock (options) are sent with BEGIN in one round trip.
   */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  transaction<T>(options: TransactionOptions, work: (client: PoolClient) => Promise<T>): Promise<T>;
  async transaction<T>(
    a: TransactionOptions | ((client: PoolClient) => Promise<T>),
    b?: (client: PoolClient) => Promise<T>,
  ): Promise<T> {
    const [options, work] = typeof a === 'function' ? [{}, a] : [a, b!];
    const started = Date.now();
    const client = await this.connect(options.timeoutMs);
    let broken = false;
    // While checked out, a connection that dies (between statements, e.g. while the caller
    // awaits another service, or ended by transaction_timeout) emits 'error' on the client:
    // unhandled, that would crash the process. The next statement fails with the same error;
    // the client is then discarded.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      const withTxTimeout =
        options.timeoutMs !== undefined && (await this.hasTransactionTimeout(client));
      const lockingSince = performance.now();
      await client.query(beginStatement(client, options, Date.now() - started, withTxTimeout));
      if (options.lockKey !== undefined)
        options.onLockAcquired?.((performance.now() - lockingSince) / 1000);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * PostgreSQL 17 added transaction_timeout; older servers (e.g. docker-compose's 16) refuse to
   * SET it, so they get the statement timeout and the callers' per-statement deadline checks
   * only (a statement that started in time may then overrun by up to the time left at BEGIN).
   */
  private hasTransactionTimeout(client: PoolClient): Promise<boolean> {
    this.transactionTimeout ??= client
      .query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)
      .then(
        (r) => Number(r.rows[0].v) >= 170000,
        (e: unknown) => {
          this.transactionTimeout = null; // ask again next time
          throw e;
        },
      );
    return this.transactionTimeout;
  }

  /** A pooled connection, waiting at most `timeoutMs` (when given) for one to be free. */
  private async connect(timeoutMs?: number): Promise<PoolClient> {
    if (timeoutMs === undefined) return this.pool.connect();
    const pending = this.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The connection still arrives later: hand it straight back to the pool.
        pending.then(
          (c) => c.release(),
          () => undefined,
        );
        reject(new TransactionTimeoutError('timeout exceeded when trying to connect'));
      }, timeoutMs);
    });
    try {
      return await Promise.race([pending, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `SELECT 1` (readiness checks): PostgreSQL answers now. The statement is cut after
   * `timeoutMs`; the wait for a pooled connection is bounded by the pool's connect timeout.
   */
  async ping(timeoutMs: number): Promise<void> {
    await this.pool.query({ text: 'SELECT 1', query_timeout: timeoutMs } as QueryConfig);
  }

  async close(): Promise<void> {
    if (this.prismaClient) await this.prismaClient.$disconnect();
    await this.pool.end();
  }
}

/**
 * BEGIN with what the options ask for, as one simple-query round trip. The statement timeout
 * bounds the lock wait (cancelling only the statement), the transaction timeout the rest: a
 * deadline computed once and applied per statement would let a transaction outlive it.
 */
function beginStatement(
  client: PoolClient,
  o: TransactionOptions,
  elapsedMs: number,
  withTransactionTimeout: boolean,
): string {
  const parts = ['BEGIN'];
  if (o.timeoutMs !== undefined) {
    const left = Math.max(1, Math.floor(o.timeoutMs - elapsedMs));
    parts.push(`SET LOCAL statement_timeout = ${left}`);
    if (withTransactionTimeout) {
      parts.push(`SET LOCAL transaction_timeout = ${left + TRANSACTION_KILL_MARGIN_MS}`);
    }
  }
  if (o.lockKey !== undefined) {
    // The key is escaped by the driver.
    parts.push(
      `SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(o.lockKey)}, 0))`,
    );
  }
  return parts.join('; ');
}

/** No pooled connection was free within a transaction's timeout (db-errors knows its code). */
class TransactionTimeoutError extends Error {
  readonly code = 'TX_TIMEOUT';
  constructor(message: string) {
    super(message);
    this.name = 'TransactionTimeoutError';
  }
}

/** Something that runs queries: the pool or a client inside a transaction. */
export type Queryable = Pick<PoolClient, 'query'>;
