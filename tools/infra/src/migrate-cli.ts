/** Applies prisma/migrations to DATABASE_URL (or the local PostgreSQL, started if needed). */
import path from 'node:path';
import { applyMigrations } from '@realchat/persistence';
import { startPostgres, localPostgres } from './postgres';
import { REPO_ROOT } from './paths';

async function main(): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    await startPostgres(localPostgres());
    url = localPostgres().url;
  }
  const dir = process.env.REALCHAT_MIGRATIONS_DIR ?? path.join(REPO_ROOT, 'prisma', 'migrations');
  const applied = await applyMigrations(url, dir, (l) => process.stdout.write(`migrate: ${l}\n`));
  process.stdout.write(`migrate: ${applied.length} migration(s) applied, database is up to date\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
