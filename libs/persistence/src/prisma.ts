import { PrismaPg } from '@prisma/adapter-pg';
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

/** One pooled Prisma client per process (Prisma 7, Rust-free, over node-postgres). */
export function createPrisma(options: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 60_000,
    },
    // A dropped idle connection must not crash the process; the pool replaces it.
    { onPoolError: () => undefined },
  );
  return new PrismaClient({ adapter });
}
