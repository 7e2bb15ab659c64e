// Broker-failover timings over several runs: runs the 3-broker failover e2e test
// (apps/message-service-e2e/test/kafka-broker-failover.spec.ts) N times and prints each run's
// timings (the test writes them to .cache/kafka-failover.json) with the median of each column.
//   node tools/scripts/kafka-failover-runs.mjs [N=3]
// Needs built apps and DATABASE_URL / KAFKA_BROKERS (or the local infrastructure), like the
// e2e tests. Figures go to docs/outbox-relay.md "Failover timings".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const result = path.join(root, '.cache', 'kafka-failover.json');
const runs = Number(process.argv[2] ?? 3);
const rows = [];
for (let i = 1; i <= runs; i++) {
  fs.rmSync(result, { force: true });
  const r = spawnSync(
    path.join(root, 'node_modules', '.bin', 'jest'),
    [
      '-c',
      'apps/message-service-e2e/jest.config.js',
      'apps/message-service-e2e/test/kafka-broker-failover.spec.ts',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0 || !fs.existsSync(result)) {
    process.stderr.write(`run ${i} failed (exit ${r.status})\n`);
    process.exit(1);
  }
  const timings = JSON.parse(fs.readFileSync(result, 'utf8'));
  delete timings.at;
  rows.push(timings);
  process.stdout.write(`run ${i}: ${JSON.stringify(timings)}\n`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const keys = Object.keys(rows[0]);
process.stdout.write(
  `median: ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k] ?? NaN))])))}\n`,
);
