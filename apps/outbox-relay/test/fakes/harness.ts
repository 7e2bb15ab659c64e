import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { RelayMetrics } from '../../src/metrics';
import { OutboxRelay } from '../../src/relay/outbox-relay';
import type { RelayConfig } from '../../src/relay/relay-config';
import { FakeLeaseTable } from './fake-leases';
import { FakeOutbox } from './fake-outbox';
import { InMemorySink } from './in-memory-sink';

/** A pino logger whose lines are kept (parsed) for assertions. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** One relay over in-memory fakes: outbox, lease table, sink. */
export function fakeRelay(
  config: Partial<RelayConfig> = {},
  sinkOptions: { maxRecordBytes?: number } = {},
) {
  const full = {
    replicaId: 'r1',
    shardCount: 4,
    leaseMs: 3000,
    batchSize: 100,
    pollIntervalMs: 20,
    maxAttempts: 3,
    backoffMinMs: 10,
    backoffMaxMs: 50,
    ...config,
  };
  const timeline: string[] = [];
  const table = new FakeLeaseTable(full.leaseMs);
  const outbox = new FakeOutbox(table, full.shardCount, timeline);
  const sink = new InMemorySink(sinkOptions.maxRecordBytes, timeline);
  const leases = table.store(full.replicaId, full.shardCount);
  const metrics = new RelayMetrics();
  const { logger, lines } = capturingLogger();
  const relay = new OutboxRelay(full, { source: outbox, sink, leases, metrics, logger });
  return { relay, table, outbox, sink, leases, metrics, logs: lines, timeline };
}

/** Polls `condition` until it holds or `ms` passed; throws with `what` when it never held. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!(await condition())) throw new Error(`timed out waiting for ${what}`);
}

/** Value of a counter or gauge without labels. */
export async function metricValue(metric: {
  get(): Promise<{ values: { value: number }[] }>;
}): Promise<number> {
  return (await metric.get()).values[0]?.value ?? 0;
}
