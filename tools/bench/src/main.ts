/**
 * Benchmarks (figures, never assertions):
 * `npm run bench -- [send|hot|sync|history|relay|capacity|memory|all] [seconds] [--tracing]`.
 * `history` loads 1M messages into one conversation (about a minute) to time backward pages.
 * Starts what it needs (local PostgreSQL/Kafka unless given), uses a fresh database per
 * benchmark, and runs the reference (pgbench, Kafka's ProducerPerformance) in the same run.
 * Build the apps first: `npx nx run-many -t build`. `--tracing` runs the send benchmark's apps
 * with OpenTelemetry tracing on (OTLP http/protobuf to a local receiver that discards), to
 * measure its overhead against a run without.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureInfra, REPO_ROOT } from '@realchat/infra';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { OtlpReceiver } from '@realchat/testing';
import { historyBench } from './history-bench';
import { hotBench } from './hot-bench';
import { memoryBench } from './memory-bench';
import { relayBench } from './relay-bench';
import { sendBench } from './send-bench';
import { capacityBench } from './capacity-bench';
import { membershipEventsEnv } from './bench-stack';
import { syncBench } from './sync-bench';

const out = (line: string) => process.stdout.write(`${line}\n`);

const tracing = process.argv.includes('--tracing');
const args = process.argv.slice(2).filter((a) => a !== '--tracing');

async function main(which = 'all', seconds = Number(args[1] ?? 5)): Promise<void> {
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
  // The apps run as deployed: with the image's Node flags (heap sizing changes both RSS and CPU),
  // unless REALCHAT_APP_NODE_ARGS says otherwise (set it to "" for Node's defaults).
  process.env.REALCHAT_APP_NODE_ARGS ??= imageNodeOptions();
  out(`apps run with Node flags: ${process.env.REALCHAT_APP_NODE_ARGS || '(none)'}`);
  if (which === 'send' || which === 'all') {
    const receiver = tracing ? await OtlpReceiver.start() : null;
    const env: Record<string, string> = {
      ...membershipEventsEnv(kafkaBrokers, 'send'),
      ...(receiver ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {}),
    };
    out(`tracing ${receiver ? `on (OTLP to ${receiver.endpoint}, discarded)` : 'off'}`);
    await sendBench(await db('send'), kafkaBrokers, seconds, out, env);
    if (receiver) {
      out(`  OTLP export requests received: ${receiver.exports}`);
      await receiver.close();
    }
  }
  if (which === 'hot' || which === 'all')
    await hotBench(await db('hot'), kafkaBrokers, seconds, out);
  if (which === 'sync' || which === 'all') await syncBench(await db('sync'), seconds, out);
  if (which === 'history' || which === 'all') await historyBench(await db('history'), seconds, out);
  if (which === 'relay' || which === 'all')
    await relayBench(await db('relay'), kafkaBrokers, seconds, out);
  if (which === 'memory' || which === 'all')
    await memoryBench(await db('memory'), kafkaBrokers, seconds, out);
  if (which === 'capacity' || which === 'all')
    await capacityBench(
      await db('capacity'),
      seconds,
      out,
      membershipEventsEnv(kafkaBrokers, 'capacity'),
    );
}

/** The NODE_OPTIONS the Dockerfile sets for every app. */
function imageNodeOptions(): string {
  const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const m = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile);
  if (!m) throw new Error('the Dockerfile sets no NODE_OPTIONS="..."');
  return m[1];
}

main(args[0]).catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
