import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Latency percentiles (ms) of a list of samples. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Peak resident memory (MB) of processes, sampled every 200 ms while `work` runs. */
export async function peakRss<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; rssMb: Record<string, number> }> {
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peak[name] = Math.max(peak[name], Number(m[1]) / 1024);
      } catch {
        // process gone
      }
    }
  };
  const timer = setInterval(sample, 200);
  try {
    const result = await work();
    sample();
    return { result, rssMb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `worker` on `concurrency` loops for `ms`; returns operations/s and latencies. */
export async function closedLoop(
  concurrency: number,
  ms: number,
  op: (worker: number, i: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const t = performance.now();
        try {
          await op(w, i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: latencies.length / seconds,
    count: latencies.length,
    errors,
    ...percentiles(latencies),
  };
}

/** Starts `op` at a fixed rate (open loop) for `ms`, with at most `maxInFlight` outstanding. */
export async function openLoop(
  ratePerSecond: number,
  ms: number,
  op: (i: number) => Promise<unknown>,
  maxInFlight = 256,
) {
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let skipped = 0;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.floor((ratePerSecond * ms) / 1000);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    const t = performance.now();
    pending.push(
      op(i)
        .then(
          () => void latencies.push(performance.now() - t),
          () => void errors++,
        )
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(pending);
  return { errors, skipped, ...percentiles(latencies), count: latencies.length };
}

let clockTicks: number | undefined;

/** Clock ticks per second (the unit of /proc's CPU times). */
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return clockTicks;
}

/** CPU time (ms, user + system) that process `pid` has used so far, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14 and stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/**
 * CPU time (ms) of the whole machine so far, busy and in total (all cores), from /proc/stat:
 * what every process used, PostgreSQL, Kafka and this benchmark's own client included.
 */
export function machineCpuMs(): { busy: number; total: number } {
  const ticks = ticksPerSecond();
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (proc(5)); guest time
  // is already counted in user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: (busy * 1000) / ticks, total: ((busy + idle + iowait) * 1000) / ticks };
}

export interface CpuPerOp {
  readonly ops: number;
  /** CPU ms per operation of each named process. */
  readonly perOpMs: Record<string, number>;
  /** Their sum. */
  readonly totalMs: number;
  /** CPU ms per operation of the whole machine (all processes), and of the benchmark client. */
  readonly machineMs: number;
  readonly clientMs: number;
  /** How busy the machine's cores were while `work` ran, 0-100%. */
  readonly machineBusyPct: number;
}

/**
 * CPU milliseconds per operation of each process while `work` runs, in total, and for the whole
 * machine, with `work`'s result: the operations it completed are that number, or its `count`.
 * The machine figure shows the ceiling: at 100% busy, more throughput needs less CPU per
 * operation somewhere.
 */
export async function cpuPerOp<T extends number | { readonly count: number }>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<CpuPerOp & { readonly result: T }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const machineBefore = machineCpuMs();
  const clientBefore = process.cpuUsage();
  const result = await work();
  const ops = typeof result === 'number' ? result : result.count;
  const client = process.cpuUsage(clientBefore);
  const machine = machineCpuMs();
  const per = (ms: number) => (ops > 0 ? ms / ops : NaN);
  const perOpMs: Record<string, number> = {};
  let totalMs = 0;
  for (const [k, pid] of Object.entries(pids)) {
    perOpMs[k] = per(cpuMs(pid) - before[k]);
    totalMs += perOpMs[k];
  }
  const busy = machine.busy - machineBefore.busy;
  return {
    result,
    ops,
    perOpMs,
    totalMs,
    machineMs: per(busy),
    clientMs: per((client.user + client.system) / 1000),
    machineBusyPct: (100 * busy) / Math.max(1, machine.total - machineBefore.total),
  };
}

/**
 * "message-api 0.41, conversation-stub 0.22 (total 0.63) ms CPU/op; machine 1.90 ms/op
 * (bench client 0.30), 98% busy".
 */
export const fmtCpu = (c: CpuPerOp): string =>
  `${Object.entries(c.perOpMs)
    .map(([k, v]) => `${k} ${fmt(v, 2)}`)
    .join(
      ', ',
    )} (total ${fmt(c.totalMs, 2)}) ms CPU/op; machine ${fmt(c.machineMs, 2)} ms/op (bench client ${fmt(c.clientMs, 2)}), ${fmt(c.machineBusyPct)}% busy`;
