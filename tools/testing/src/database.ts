import path from 'node:path';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { Client } from 'pg';

const MIGRATIONS = path.resolve(__dirname, '..', '..', '..', 'prisma', 'migrations');

/** A fresh, migrated database for one test suite (relays must not share an outbox). */
export function freshDatabase(prefix: string): Promise<string> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set: run through jest (globalSetup)');
  return createScratchDatabase(base, prefix, MIGRATIONS);
}

/** Runs one query on `url` and returns the rows. */
export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
