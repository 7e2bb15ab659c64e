/**
 * Local infrastructure for development and tests, without a Docker engine:
 *   npm run infra -- up|down|status|env
 * `up` is idempotent: it returns once PostgreSQL and Kafka answer and the database is migrated.
 */
import path from 'node:path';
import { applyMigrations } from '@realchat/persistence';
import { ensureInfra, infraStatus, stopInfra } from './infra';
import { REPO_ROOT } from './paths';

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const e = await ensureInfra((l) => out(`infra: ${l}`));
      await applyMigrations(e.databaseUrl, path.join(REPO_ROOT, 'prisma', 'migrations'), (l) =>
        out(`infra: ${l}`),
      );
      out(`DATABASE_URL=${e.databaseUrl}`);
      out(`KAFKA_BROKERS=${e.kafkaBrokers}`);
      return;
    }
    case 'env': {
      const e = await ensureInfra();
      out(`export DATABASE_URL='${e.databaseUrl}' KAFKA_BROKERS='${e.kafkaBrokers}'`);
      return;
    }
    case 'down':
      await stopInfra();
      out('infra: stopped local PostgreSQL and Kafka');
      return;
    case 'status':
      for (const [name, state] of Object.entries(await infraStatus())) out(`${name}: ${state}`);
      return;
    default:
      process.stderr.write('usage: npm run infra -- up|down|status|env\n');
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`infra: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
