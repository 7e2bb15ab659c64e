import path from 'node:path';
// The one import of the scratch-database helper in the harness.
import { createScratchDatabase } from '@realchat/persistence/testing';
import { Client } from 'pg';
import { registerCleanup } from './cleanup-registry';

const MIGRATIONS = path.resolve(__dirname, '..', '..', '..', 'prisma', 'migrations');

/**
 * A fresh, migrated database for one test suite (relays must not share an outbox). It is dropped
 * when the test (or suite) that made it ends, so that runs do not pile databases up; set
 * E2E_KEEP_DATABASES=1 to keep them for a post-mortem. `base`: another server than DATABASE_URL's
 * (its URL parameters, e.g. sslmode, are kept).
 */
export async function freshDatabase(
  prefix: string,
  base = process.env.DATABASE_URL,
): Promise<string> {
  if (!base) throw new Error('DATABASE_URL is not set: run through jest (globalSetup)');
  const url = await createScratchDatabase(base, prefix, MIGRATIONS);
  if (!process.env.E2E_KEEP_DATABASES) {
    const name = new URL(url).pathname.slice(1);
    registerCleanup({ what: `database ${name}`, close: () => dropDatabase(base, name) });
  }
  return url;
}

async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    // FORCE: a SIGKILLed app's connections may linger for a moment.
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
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

/** Where the database of `url` listens, for a proxy put between an app and it. */
export function databaseTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** `url` with its port replaced: the same database reached through a proxy on `port`. */
export function databaseUrlVia(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}
