// `npm test`: the whole suite, as CI runs it.
//  1. PostgreSQL and Kafka: DATABASE_URL / KAFKA_BROKERS when given, else the local ones
//     (started when needed, and stopped again at the end under CI=true);
//  2. format check, then lint, typecheck, unit, integration and e2e tests of every project
//     (codegen and builds run first as Nx dependencies);
//  3. one summary line "tests: N passed, M failed" from Jest's JSON results.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { infraUp } from './infra-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const say = (line) => process.stdout.write(`[test] ${line}\n`);
const env = { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' };
const resultsDir = path.join(root, '.cache', 'test-results');
fs.rmSync(resultsDir, { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });

say('code generation (buf + ts-proto, prisma generate)');
execFileSync(bin('nx'), ['run-many', '-t', 'generate', '--output-style=static'], {
  cwd: root,
  env,
  stdio: 'inherit',
});

const startedInfra = !process.env.DATABASE_URL || !process.env.KAFKA_BROKERS;
say('PostgreSQL and Kafka (given by environment, or local)');
Object.assign(env, infraUp(env));

// Scratch databases of earlier runs (tests and benchmarks create one per suite): drop them now,
// before anything runs, so that the server does not fill up over many runs.
{
  const client = new pg.Client({
    connectionString: env.DATABASE_URL.replace(/\/[^/?]*(\?|$)/, '/postgres$1'),
  });
  await client.connect();
  const { rows } = await client.query(
    "SELECT datname FROM pg_database WHERE datname ~ '^(e2e|relay|persistence|bench)_[a-z_]*_[0-9a-f]{12}$'",
  );
  for (const { datname } of rows)
    await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await client.end();
  if (rows.length) say(`dropped ${rows.length} scratch database(s) of earlier runs`);
}

const steps = [
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  [
    'lint, typecheck, unit and integration tests',
    bin('nx'),
    ['run-many', '-t', 'lint', 'typecheck', 'test', '--output-style=static', '--parallel=2'],
  ],
  ['end-to-end tests', bin('nx'), ['run-many', '-t', 'e2e', '--output-style=static']],
];
let failed = false;
for (const [name, cmd, args] of steps) {
  say(name);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`FAILED: ${name}`);
    failed = true;
    break;
  }
}

let passed = 0;
let failedTests = 0;
for (const f of fs.existsSync(resultsDir) ? fs.readdirSync(resultsDir) : []) {
  const r = JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8'));
  passed += r.numPassedTests;
  failedTests += r.numFailedTests + r.numRuntimeErrorTestSuites;
}
if (process.env.CI === 'true' && startedInfra) {
  spawnSync(
    bin('tsx'),
    ['--tsconfig', 'tools/infra/tsconfig.json', 'tools/infra/src/cli.ts', 'down'],
    { cwd: root, env, stdio: 'inherit' },
  );
}
if (passed === 0 && !failed) {
  say('no test ran');
  failed = true;
}
process.stdout.write(`tests: ${passed} passed, ${failedTests} failed\n`);
process.exit(failed || failedTests > 0 ? 1 : 0);
