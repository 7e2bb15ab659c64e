/**
 * Benchmarks (figures, never assertions): `npm run bench -- [send|sync|relay|all] [seconds]`.
 * Starts what it needs (local PostgreSQL/Kafka unless given), uses a fresh database per
 * benchmark, and runs the reference (pgbench, Kafka's ProducerPerformance) in the same run.
 * Build the apps first: `npx nx run-many -t build`.
 */
import path from 'node:path';
import { ensureInfra, REPO_ROOT } from '@realchat/infra';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { relayBench } from './relay-bench';
import { sendBench } from './send-bench';
import { syncBench } from './sync-bench';

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(which = 'all', seconds = Number(process.argv[3] ?? 5)): Promise<void> {
  const { databaseUrl, kafkaBrokers } = await ensureInfra();
  const db = (name: string) =>
    createScratchDatabase(
      databaseUrl,
      `bench_${name}`,
      path.join(REPO_ROOT, 'prisma', 'migrations'),
    );
  out(
    `benchmarks on ${new Date().toISOString()}, ${(await import('node:os')).cpus().length} cores`,
  );
  if (which === 'send' || which === 'all') await sendBench(await db('send'), seconds, out);
  if (which === 'sync' || which === 'all') await syncBench(await db('sync'), seconds, out);
  if (which === 'relay' || which === 'all')
    await relayBench(await db('relay'), kafkaBrokers, seconds, out);
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
