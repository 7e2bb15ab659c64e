import fs from 'node:fs';
import { scrapeMetrics } from '@realchat/testing';
import { anyOf, createConversations, sendOne, startStackWithRelay } from './bench-stack';
import { closedLoop, fmt } from './stats';

const CONVERSATIONS = 64;

/**
 * Where each app's memory goes after load (issue 9 "Memory"): resident set against the V8 heap
 * (used and reserved, by space) and external memory, from each app's own /metrics. What is
 * resident but in neither is native: code, gRPC/HTTP2 and TLS buffers, and WebAssembly such as
 * Prisma's query compiler in the stub. Node flags for the apps: REALCHAT_APP_NODE_ARGS.
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
    const sent = await closedLoop(32, seconds * 1000, (w) => sendOne(apis[w % 2], anyOf(ids)));
    await closedLoop(8, 2000, (w) =>
      apis[w % 2].sync('bob', { conversationId: ids[w % ids.length], pageSize: 100 }),
    );
    out(
      `Memory after ${fmt(sent.perSecond * seconds)} sends (32 clients) and 2 s of sync; ` +
        `node flags: ${process.env.REALCHAT_APP_NODE_ARGS || '(none)'}; MB`,
    );
    const apps = [
      ['message-api', stack.apis[0]],
      ['conversation-stub', stack.conversationStub],
      ['outbox-relay', stack.relays[0]],
    ] as const;
    for (const [name, app] of apps) {
      const samples = await scrapeMetrics(app.port('http'));
      const mb = (metric: string, space?: string) =>
        (samples.find((s) => s.name === metric && (!space || s.labels.space === space))?.value ??
          NaN) /
        2 ** 20;
      const rss = mb('process_resident_memory_bytes');
      // The kernel's high-water mark over the process' life (start-up, the load, the sync).
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${app.pid}/status`, 'utf8'));
      const peak = hwm ? Number(hwm[1]) / 1024 : NaN;
      const heap = mb('nodejs_heap_size_total_bytes');
      const external = mb('nodejs_external_memory_bytes');
      out(
        `  ${name}: peak ${fmt(peak)}, resident ${fmt(rss)} = V8 heap reserved ${fmt(heap)} (used ${fmt(mb('nodejs_heap_size_used_bytes'))}; ` +
          `new ${fmt(mb('nodejs_heap_space_size_total_bytes', 'new'))}, old ${fmt(mb('nodejs_heap_space_size_total_bytes', 'old'))} reserved) ` +
          `+ external ${fmt(external)} + native ${fmt(rss - heap - external)}`,
      );
    }
  } finally {
    await stack.stop();
  }
}
