import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../src';

/**
 * README "Migrations": a migration that failed half-way is recorded with finished_at NULL and
 * blocks further migrations until fixed by hand and its record removed (as with Prisma).
 * Runs on an empty scratch database with a scratch migrations folder.
 */
describe('applyMigrations', () => {
  let url: string;
  let dir: string;
  let name: string;

  const adminUrl = () => {
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = '/postgres';
    return u.toString();
  };
  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'migration.sql'), text);
  };
  const tables = async () =>
    (
      await sql<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name LIKE 'm\\_%' ORDER BY 1`,
      )
    ).map((r) => r.t);

  beforeAll(async () => {
    name = `migrate_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = `/${name}`;
    url = u.toString();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const admin = new Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('records a half-failed migration and refuses to go on until it is resolved by hand', async () => {
    write('20260101000000_one', 'CREATE TABLE m_one (id int);');
    // Fails after its first statement: the statement's effect must be rolled back too.
    write('20260102000000_two', 'CREATE TABLE m_two (id int);\nSELECT 1 / 0;');
    write('20260103000000_three', 'CREATE TABLE m_three (id int);');

    await expect(applyMigrations(url, dir)).rejects.toThrow(/20260102000000_two failed/);
    expect(await tables()).toEqual(['m_one']);
    const records = await sql<{ migration_name: string; finished_at: Date | null; logs: string }>(
      'SELECT migration_name, finished_at, logs FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(records.map((r) => [r.migration_name, r.finished_at !== null])).toEqual([
      ['20260101000000_one', true],
      ['20260102000000_two', false],
    ]);
    expect(records[1].logs).toMatch(/division by zero/);

    // Fixing the file is not enough: the failed record blocks every later migration.
    write('20260102000000_two', 'CREATE TABLE m_two (id int);');
    await expect(applyMigrations(url, dir)).rejects.toThrow(/20260102000000_two failed earlier/);
    expect(await tables()).toEqual(['m_one']);

    // Resolved by hand (record removed): the fixed migration and the later one apply.
    await sql(`DELETE FROM "_prisma_migrations" WHERE migration_name = '20260102000000_two'`);
    expect(await applyMigrations(url, dir)).toEqual(['20260102000000_two', '20260103000000_three']);
    expect(await tables()).toEqual(['m_one', 'm_three', 'm_two']);
    expect(await applyMigrations(url, dir)).toEqual([]); // and nothing twice
  });
});
