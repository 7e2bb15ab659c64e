import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** One built app (dist/apps/<app>/main.js) running as its own process, as in production. */
export class AppProcess {
  private readonly lines: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly app: string,
    private readonly child: ChildProcess,
  ) {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        this.lines.push(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the app and waits until it logs `readyMessage`; returns it with its bound port. */
  static async start(
    app: string,
    env: Record<string, string>,
    readyMessage: string,
    timeoutMs = 30_000,
  ): Promise<AppProcess> {
    // REALCHAT_APP_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the apps.
    const nodeArgs = (process.env.REALCHAT_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(
      process.execPath,
      [...nodeArgs, path.join(ROOT, 'dist', 'apps', app, 'main.js')],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const proc = new AppProcess(app, child);
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

  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    // Unexpected errors of the app go to the test output: they explain a failure at 3 a.m.
    if (process.env.E2E_DUMP_LOGS)
      process.stderr.write(`${this.app} (pid ${this.pid}) output:\n${this.lines.join('\n')}\n`);
    const errors = this.logs().filter((l) => l.level === 'error' || l.level === 'fatal');
    if (errors.length > 0) {
      process.stderr.write(
        `${this.app} (pid ${this.pid}) logged ${errors.length} error(s), first ones:\n`,
      );
      for (const e of errors.slice(0, 3))
        process.stderr.write(`  ${JSON.stringify(e).slice(0, 2000)}\n`);
    }
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
