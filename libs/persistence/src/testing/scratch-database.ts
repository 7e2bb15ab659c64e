import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { applyMigrations } from '../migrate';

/**
 * Creates a new, migrated database on the server of `baseUrl` and returns its URL. Tests that run
 * relays use one each, so that they never share an outbox or shard leases with other tests.
 */
export async function createScratchDatabase(
  baseUrl: string,
  prefix: string,
  migrationsDir: string,
): Promise<string> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`.toLowerCase();
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name prefix: ${prefix}`);
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await applyMigrations(url.toString(), migrationsDir);
  return url.toString();
}
