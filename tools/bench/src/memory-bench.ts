import fs from 'node:fs';
import { scrapeMetrics } from '@realchat/testing';
import { anyOf, createConversations, sendOne, startStackWithRelay } from './bench-stack';
import { closedLoop, cpuMs, fmt, openLoop } from './stats';

const CONVERSATIONS = 64;
/**
 * BENCH_MEMORY_RATE=<sends/s> sends at that fixed rate (open loop) instead of as fast as 32
 * clients can: every run then makes the same number of sends in the same time, so the apps'
 * background CPU (timers, probes) weighs the same on CPU per send when comparing Node flags on a
 * busy machine.
 */
const RATE = Number(process.env.BENCH_MEMORY_RATE ?? 0);

/**
 * Where each app's memory goes after load (issue 9 "Memory"): peak and current resident set
 * against the V8 heap (used and reserved, by space) and external memory, from each app's own
 * /metrics. What is resident but in neither is native: code, gRPC/HTTP2 and TLS buffers, and
 * WebAssembly such as Prisma's query compiler. Node flags for the apps: REALCHAT_APP_NODE_ARGS.
 * What a smaller heap costs shows beside it: each app's CPU and garbage-collection time per
 * send over the sending phase (from /proc and the apps' nodejs_gc_duration_seconds).
 */
export async function memoryBench(
  databaseUrl: string,
  kafkaBrokers: string,
  seconds: number,
  out: (line: string) => void,
) {
  const stack = await startStackWithRelay(databaseUrl, kafkaBrokers, 'memory');
  try {
    const ids = await createConversations(stack, CONVERSATIONS, 'memory');
    const apis = [stack.messageApi(), stack.messageApi()];
    const apps = [
      ['message-api', stack.apis[0]],
      ['conversation-stub', stack.conversationStub],
      ['outbox-relay', stack.relays[0]],
    ] as const;
    const costs = async () =>
      Promise.all(
        apps.map(async ([, app]) => ({
          cpu: cpuMs(app.pid),
          gc: await gcMs(app.port('http')),
          peak: peakMb(app.pid),
        })),
      );
    const before = await costs();
    const sends = RATE
      ? (await openLoop(RATE, seconds * 1000, (i) => sendOne(apis[i % 2], anyOf(ids)))).count
      : (await closedLoop(32, seconds * 1000, (w) => sendOne(apis[w % 2], anyOf(ids)))).count;
    const after = await costs();
    await closedLoop(8, 2000, (w) =>
      apis[w % 2].sync('bob', { conversationId: ids[w % ids.length], pageSize: 100 }),
    );
    out(
      `Memory after ${fmt(sends)} sends (${RATE ? `${RATE}/s` : '32 clients'}) and 2 s of sync; ` +
        `node flags: ${process.env.REALCHAT_APP_NODE_ARGS || '(none)'}; MB`,
    );
    for (const [i, [name, app]] of apps.entries()) {
      const samples = await scrapeMetrics(app.port('http'));
      const mb = (metric: string, space?: string) =>
        (samples.find((s) => s.name === metric && (!space || s.labels.space === space))?.value ??
          NaN) /
        2 ** 20;
      const rss = mb('process_resident_memory_bytes');
      const heap = mb('nodejs_heap_size_total_bytes');
      const external = mb('nodejs_external_memory_bytes');
      const perSend = (a: number, b: number) => fmt((b - a) / sends, 3);
      out(
        `  ${name}: peak ${fmt(peakMb(app.pid))} (${fmt(before[i].peak)} before the sends, ${fmt(after[i].peak)} after them), resident ${fmt(rss)} = V8 heap reserved ${fmt(heap)} (used ${fmt(mb('nodejs_heap_size_used_bytes'))}; ` +
          `new ${fmt(mb('nodejs_heap_space_size_total_bytes', 'new'))}, old ${fmt(mb('nodejs_heap_space_size_total_bytes', 'old'))} reserved) ` +
          `+ external ${fmt(external)} + native ${fmt(rss - heap - external)}; ` +
          `per send: CPU ${perSend(before[i].cpu, after[i].cpu)} ms, GC minor ${perSend(before[i].gc.minor, after[i].gc.minor)} ms (${fmt(after[i].gc.scavenges - before[i].gc.scavenges)} scavenges), major ${perSend(before[i].gc.major, after[i].gc.major)} ms`,
      );
    }
  } finally {
    await stack.stop();
  }
}

/**
 * Milliseconds the app spent in scavenges (minor) and in mark-compact work (the rest) so far,
 * and how many scavenges it ran. Wall time of the pauses: on a busy machine a pause includes
 * time the thread waited for a core, so compare runs made side by side.
 */
async function gcMs(httpPort: number) {
  const samples = await scrapeMetrics(httpPort);
  const sum = (name: string, minor: boolean) =>
    samples
      .filter((s) => s.name === name && (s.labels.kind === 'minor') === minor)
      .reduce((t, s) => t + s.value, 0);
  return {
    minor: 1000 * sum('nodejs_gc_duration_seconds_sum', true),
    major: 1000 * sum('nodejs_gc_duration_seconds_sum', false),
    scavenges: sum('nodejs_gc_duration_seconds_count', true),
  };
}

/** The kernel's high-water mark of the process' resident set so far (VmHWM), MB. */
function peakMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return hwm ? Number(hwm[1]) / 1024 : NaN;
}
