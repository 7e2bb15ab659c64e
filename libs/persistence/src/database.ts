import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, PoolClient } from 'pg';
import { PrismaClient } from './generated/prisma/client';

export { PrismaClient };
export type { Prisma } from './generated/prisma/client';

export interface DatabaseOptions {
  /** postgresql:// URL of the database. */
  readonly url: string;
  /** Connections in this process' pool. */
  readonly poolSize: number;
  /** Longest wait to open a connection before the call fails as UNAVAILABLE. */
  readonly connectTimeoutMs?: number;
}

/**
 * One connection pool per process, shared by two clients:
 * - `pool` (node-postgres) runs the hot-path statements (send, delete, sync, outbox, leases,
 *   sequences) as named prepared statements;
 * - `prisma` (Prisma 7 over the same pool, created on first use) runs the low-rate, model-shaped
 *   work (the conversation-stub's CRUD).
 * Why both: measured on this machine, a Prisma query costs ~0.2 ms more CPU than the same
 * prepared statement, and its first query loads the wasm query compiler (+120 MB RSS). See
 * docs/architecture.md "Data access".
 */
export class Database {
  readonly pool: Pool;
  private prismaClient: PrismaClient | null = null;

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

  /** The Prisma client on this pool (created on first use). */
  get prisma(): PrismaClient {
    this.prismaClient ??= new PrismaClient({
      adapter: new PrismaPg(this.pool, { disposeExternalPool: false }),
    });
    return this.prismaClient;
  }

  /**
   * Runs `work` in a transaction on one connection; rolls back if it throws. `begin` (statements
   * built by the caller, e.g. taking a lock) is sent with BEGIN and the statement timeout in one
   * round trip; it receives the client so that it can escape values with `escapeLiteral`.
   */
  async transaction<T>(
    work: (client: PoolClient) => Promise<T>,
    statementTimeoutMs?: number,
    begin?: (client: PoolClient) => string,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // While checked out, a connection that dies (between statements, e.g. while the caller
    // awaits another service) emits 'error' on the client: unhandled, that would crash the
    // process. The next statement fails with the same error; the client is then discarded.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      const timeout =
        statementTimeoutMs === undefined
          ? ''
          : `; SET LOCAL statement_timeout = ${Math.max(1, Math.floor(statementTimeoutMs))}`;
      await client.query(`BEGIN${timeout}${begin ? `; ${begin(client)}` : ''}`);
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

  async close(): Promise<void> {
    if (this.prismaClient) await this.prismaClient.$disconnect();
    await this.pool.end();
  }
}

/** Something that runs queries: the pool or a client inside a transaction. */
export type Queryable = Pick<PoolClient, 'query'>;
