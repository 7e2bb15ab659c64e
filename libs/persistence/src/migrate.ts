import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order, with the same
 * `_prisma_migrations` bookkeeping (table, checksum = sha256 of the file, advisory lock) as
 * `prisma migrate deploy`. We need our own because Prisma's schema engine cannot be downloaded
 * on these machines; where it can, `prisma migrate deploy` sees the same state and agrees.
 */
export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Same lock id as Prisma's migrate: concurrent migrators (ours or Prisma's) take turns.
    await client.query('SELECT pg_advisory_lock(72707369)');
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
    }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r]));
    const done: string[] = [];
    for (const name of listMigrations(migrationsDir)) {
      const sql = fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = applied.get(name);
      if (previous?.finished_at) {
        if (previous.checksum !== checksum) {
          log(`warning: migration ${name} was modified after it was applied (checksum differs)`);
        }
        continue;
      }
      if (previous) {
        throw new Error(
          `migration ${name} failed earlier and was not rolled back; resolve it by hand ` +
            `(see README "Migrations") before migrating again`,
        );
      }
      const id = randomUUID();
      await client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, checksum, name],
      );
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        // Like Prisma, keep a failed record (finished_at NULL) with the error in `logs`.
        await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [
          id,
          String(e),
        ]);
        throw new Error(`migration ${name} failed: ${(e as Error).message}`);
      }
      log(`applied migration ${name}`);
      done.push(name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock(72707369)').catch(() => undefined);
    await client.end();
  }
}

function listMigrations(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}
