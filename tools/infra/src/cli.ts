/**
 * Local infrastructure for development and tests, without a Docker engine:
 *   npm run infra -- up|down|status|env [--kafka-brokers N]
 * `up` is idempotent: it returns once PostgreSQL and Kafka answer and the database is migrated.
 * `--kafka-brokers 3` starts a local KRaft cluster (one controller, three brokers) instead of
 * the single broker; KAFKA_BROKERS then lists every broker.
 */
import path from 'node:path';
import { applyMigrations } from '@realchat/persistence';
import { ensureInfra, infraStatus, stopInfra } from './infra';
import { REPO_ROOT } from './paths';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** `--kafka-brokers N` (or `--kafka-brokers=N`); undefined when not given. */
function kafkaBrokersOption(args: string[]): number | undefined {
  const i = args.findIndex((a) => a === '--kafka-brokers' || a.startsWith('--kafka-brokers='));
  if (i < 0) return undefined;
  const raw = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9)
    throw new Error(`--kafka-brokers must be an integer from 1 to 9 (is ${raw})`);
  return n;
}

async function main(command: string | undefined, args: string[]): Promise<void> {
  const kafkaBrokers = kafkaBrokersOption(args);
  switch (command) {
    case 'up': {
      const e = await ensureInfra((l) => out(`infra: ${l}`), { kafkaBrokers });
      await applyMigrations(e.databaseUrl, path.join(REPO_ROOT, 'prisma', 'migrations'), (l) =>
        out(`infra: ${l}`),
      );
      out(`DATABASE_URL=${e.databaseUrl}`);
      out(`KAFKA_BROKERS=${e.kafkaBrokers}`);
      return;
    }
    case 'env': {
      const e = await ensureInfra(undefined, { kafkaBrokers });
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
      process.stderr.write('usage: npm run infra -- up|down|status|env [--kafka-brokers N]\n');
      process.exitCode = 2;
  }
}

main(process.argv[2], process.argv.slice(3)).catch((e: unknown) => {
  process.stderr.write(`infra: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
