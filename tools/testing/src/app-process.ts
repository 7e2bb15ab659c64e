import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { registerCleanup, runningTest } from './cleanup-registry';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** An error-level line of an app: JSON with level error/fatal, or anything not JSON on stderr. */
export interface ErrorLine {
  readonly app: string;
  readonly pid: number;
  /** The test during which it was logged (null: beforeAll / afterAll). */
  readonly test: string | null;
  readonly text: string;
  readonly parsed: Record<string, unknown> | null;
}

/** Matches an error line the test expects: a RegExp tests the `msg` (or the raw text). */
export type ErrorMatcher = RegExp | ((line: ErrorLine) => boolean);

// Every app started in this test file, so that the Jest setup can check their error lines.
const started = new Set<AppProcess>();
// Last resort: children die with the Jest worker even when no hook ran.
process.once('exit', () => {
  for (const p of started) p.killNow();
});

/** One built app (dist/apps/<app>/main.js) running as its own process, as in production. */
export class AppProcess {
  private readonly lines: string[] = [];
  private readonly errorLines: ErrorLine[] = [];
  private readonly allowed: ErrorMatcher[] = [];
  private reported = 0;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly app: string,
    private readonly child: ChildProcess,
  ) {
    const reader = (stream: 'stdout' | 'stderr') => {
      let buffer = '';
      return (chunk: Buffer) => {
        buffer += chunk.toString();
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          this.addLine(buffer.slice(0, i), stream);
          buffer = buffer.slice(i + 1);
        }
      };
    };
    child.stdout!.on('data', reader('stdout'));
    child.stderr!.on('data', reader('stderr'));
    // 'close', not 'exit': the last lines (e.g. an error while stopping) are read by then.
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  private addLine(text: string, stream: 'stdout' | 'stderr'): void {
    this.lines.push(text);
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = null;
    }
    const isError = parsed
      ? parsed.level === 'error' || parsed.level === 'fatal'
      : stream === 'stderr' && text.trim() !== '';
    if (isError)
      this.errorLines.push({ app: this.app, pid: this.pid, test: runningTest(), text, parsed });
  }

  /**
   * Starts the app and waits until it logs `readyMessage`; returns it with its bound port. The
   * process is stopped by the Jest setup at the end of the test (or suite) that started it, if
   * the test has not stopped it itself. `dir` holds the bundle (default dist/apps/<app>); the
   * process runs there, as in the image (WORKDIR /app).
   */
  static async start(
    app: string,
    env: Record<string, string>,
    readyMessage: string,
    timeoutMs = 30_000,
    dir = path.join(ROOT, 'dist', 'apps', app),
  ): Promise<AppProcess> {
    // REALCHAT_APP_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the apps.
    const nodeArgs = (process.env.REALCHAT_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, path.join(dir, 'main.js')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new AppProcess(app, child);
    started.add(proc);
    registerCleanup({
      what: `${app} (pid ${child.pid})`,
      close: async () => void (await proc.stop('SIGTERM', 5000)),
    });
    try {
      await proc.waitForLog((l) => l.msg === readyMessage, timeoutMs);
    } catch (e) {
      child.kill('SIGKILL'); // never leave an orphan behind a failed start
      throw e;
    }
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Declares error lines this test provokes on purpose (e.g. an INTERNAL it asserts). Any other
   * error-level line fails the test (see jest-setup.ts).
   */
  allowErrors(...matchers: ErrorMatcher[]): this {
    this.allowed.push(...matchers);
    return this;
  }

  /** Error lines not allowed by allowErrors() and not returned by an earlier call. */
  takeUnexpectedErrors(): ErrorLine[] {
    const fresh = this.errorLines.slice(this.reported);
    this.reported = this.errorLines.length;
    return fresh.filter(
      (line) =>
        !this.allowed.some((m) =>
          m instanceof RegExp
            ? m.test(typeof line.parsed?.msg === 'string' ? line.parsed.msg : line.text)
            : m(line),
        ),
    );
  }

  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** The port from the first log line with an `address` or `http` field. */
  port(field: 'address' | 'http' = 'address'): number {
    const line = this.logs().find((l) => typeof l[field] === 'string');
    if (!line) throw new Error(`${this.app} logged no ${field}`);
    return Number(String(line[field]).split(':').pop());
  }

  async waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((c) => (exitCode = c));
    while (Date.now() < deadline) {
      const hit = this.logs().find(match);
      if (hit) return hit;
      if (exitCode !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `${this.app} did not log the expected line (exit: ${exitCode}); output:\n${this.lines.slice(-30).join('\n')}`,
    );
  }

  /** Waits until the process exits (e.g. killed by a trip wire); throws after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.app} (pid ${this.pid}) still runs after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT to pause and resume the app). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (process.env.E2E_DUMP_LOGS)
      process.stderr.write(`${this.app} (pid ${this.pid}) output:\n${this.lines.join('\n')}\n`);
    if (this.running) {
      this.child.kill('SIGCONT'); // a paused process cannot handle SIGTERM
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.exited;
    }
    return this.child.exitCode;
  }

  /** SIGKILL without waiting (process exit handler). */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** Unexpected error lines of every app of this test file since the last call. */
export function takeUnexpectedErrors(): ErrorLine[] {
  return [...started].flatMap((p) => p.takeUnexpectedErrors());
}
