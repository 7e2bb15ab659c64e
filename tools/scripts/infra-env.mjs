// Brings PostgreSQL and Kafka up (the given ones, else the local ones, started when needed) and
// migrates, through tools/infra's `up`; returns the DATABASE_URL and KAFKA_BROKERS it reports.
// The one place the scripts learn where the infrastructure is.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @returns {{ DATABASE_URL: string, KAFKA_BROKERS: string }} */
export function infraUp(env = process.env, { quiet = false } = {}) {
  const out = execFileSync(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['--tsconfig', 'tools/infra/tsconfig.json', 'tools/infra/src/cli.ts', 'up'],
    { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (!quiet) process.stdout.write(out);
  const found = {};
  for (const line of out.split('\n')) {
    const m = /^(DATABASE_URL|KAFKA_BROKERS)=(.*)$/.exec(line);
    if (m) found[m[1]] = m[2];
  }
  if (!found.DATABASE_URL || !found.KAFKA_BROKERS)
    throw new Error(`infra up reported no addresses:\n${out}`);
  return found;
}
