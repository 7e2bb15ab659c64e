import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ensureTestInfra } from './infra';
import { REPO_ROOT } from './paths';

/**
 * Jest globalSetup of every project with integration tests: real PostgreSQL and Kafka (given,
 * containers, or local), migrated. Tests use unique ids, so suites share one database.
 * (Migrations run through the migrate CLI: globalSetup runs outside Jest's module mapper, so it
 * cannot import workspace libs by alias.)
 */
export default async function globalSetup(): Promise<void> {
  await ensureTestInfra();
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
      '--tsconfig',
      path.join(REPO_ROOT, 'tools/infra/tsconfig.json'),
      path.join(REPO_ROOT, 'tools/infra/src/migrate-cli.ts'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: process.env },
  );
}
