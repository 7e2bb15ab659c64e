import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';

/** The health name that says only "the process runs": never depends on a dependency. */
export const LIVENESS = 'liveness';

/** One dependency the service needs to do its work (PostgreSQL, the Conversation API...). */
export interface DependencyCheck {
  /** Short name for logs and /readyz, e.g. `postgres`. */
  readonly name: string;
  /** Resolves when the dependency answers now; rejects (or outlives the timeout) otherwise. */
  readonly check: () => Promise<void>;
}

export interface ServiceHealthOptions {
  /** Readiness names (full service names); `""` (the whole server) is always added. */
  readonly services: readonly string[];
  readonly dependencies: readonly DependencyCheck[];
  /** Time between two rounds of checks (HEALTH_CHECK_INTERVAL_MS). */
  readonly intervalMs: number;
  /** A check that has not answered within this counts as failed. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export interface Readiness {
  readonly ready: boolean;
  readonly draining: boolean;
  /** Each dependency's last answer (true: it answered in time). */
  readonly dependencies: Readonly<Record<string, boolean>>;
}

interface WatchCall {
  end(): void;
  on(event: 'cancelled', listener: () => void): unknown;
}

/**
 * grpc.health.v1.Health (package grpc-health-check) with readiness from periodic dependency
 * checks: the readiness names are SERVING only while every dependency answered its last check,
 * `liveness` is SERVING until the drain. `drain()` turns every name NOT_SERVING at once.
 */
export class ServiceHealth {
  private readonly health: HealthImplementation;
  private readonly names: string[];
  private readonly watches = new Set<WatchCall>();
  private readonly running = new Map<string, Promise<boolean>>();
  private answers: Record<string, boolean> = {};
  private draining = false;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;

  constructor(private readonly options: ServiceHealthOptions) {
    this.names = ['', ...options.services];
    // Not ready until the first round of checks has passed.
    this.health = new HealthImplementation({
      [LIVENESS]: 'SERVING',
      ...Object.fromEntries(this.names.map((n) => [n, 'NOT_SERVING' as const])),
    });
    for (const d of options.dependencies) this.answers[d.name] = false;
  }

  /** Adds the Health service to `server`; Watch streams are tracked so that drain() ends them. */
  addToServer(server: Server): void {
    this.health.addToServer({
      addService: (service, implementation) =>
        server.addService(service as never, {
          ...implementation,
          watch: (call: WatchCall) => {
            this.watches.add(call);
            call.on('cancelled', () => this.watches.delete(call));
            (implementation.watch as (c: WatchCall) => void)(call);
          },
        }),
    });
  }

  /** Checks the dependencies now (the status is known when this resolves), then periodically. */
  async start(): Promise<void> {
    await this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One round of checks (a round still running is joined, not doubled). */
  checkNow(): Promise<void> {
    this.round ??= this.runRound().finally(() => (this.round = null));
    return this.round;
  }

  readiness(): Readiness {
    const ready = !this.draining && Object.values(this.answers).every(Boolean);
    return { ready, draining: this.draining, dependencies: { ...this.answers } };
  }

  /** /readyz's body: e.g. `postgres=true conversation-api=false` (and `draining` once it is). */
  readinessDetail(): string {
    const r = this.readiness();
    const deps = Object.entries(r.dependencies).map(([n, ok]) => `${n}=${ok}`);
    return [...(r.draining ? ['draining'] : []), ...deps].join(' ');
  }

  /** What /readyz answers: ready, and the body naming each dependency (see readinessDetail). */
  probe(): { ready: boolean; detail: string } {
    return { ready: this.readiness().ready, detail: this.readinessDetail() };
  }

  /**
   * First step of the drain: every name, liveness included, is NOT_SERVING from now on (checks
   * stop), and open Watch streams get that status and end: grpc-js' graceful shutdown waits for
   * every open call, so a watcher left open would hold the drain until the grace ran out.
   */
  drain(): void {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    for (const name of [LIVENESS, ...this.names]) this.health.setStatus(name, 'NOT_SERVING');
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  private async runRound(): Promise<void> {
    const before = this.readiness().ready;
    const results = await Promise.all(
      this.options.dependencies.map(async (d) => [d.name, await this.answered(d)] as const),
    );
    if (this.draining) return;
    this.answers = Object.fromEntries(results);
    const { ready } = this.readiness();
    const status: ServingStatus = ready ? 'SERVING' : 'NOT_SERVING';
    for (const name of this.names) this.health.setStatus(name, status);
    if (ready !== before) {
      const failing = results.filter(([, ok]) => !ok).map(([n]) => n);
      if (ready) this.options.logger.info('dependencies answer: SERVING');
      else this.options.logger.warn({ failing }, 'dependencies not answering: NOT_SERVING');
    }
  }

  /**
   * Whether `d` answers within the timeout. A check still running from an earlier round counts
   * as failed and is not started again: checks against a hung dependency must not pile up.
   */
  private answered(d: DependencyCheck): Promise<boolean> {
    if (this.running.has(d.name)) return Promise.resolve(false);
    const check = d.check().then(
      () => true,
      () => false,
    );
    this.running.set(d.name, check);
    void check.finally(() => this.running.delete(d.name));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.timeoutMs);
    });
    return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
  }
}
