import type { Logger } from 'pino';
import { ConfigError } from './config';
import { shutdownTelemetry } from './telemetry-shutdown';

/** Time allowed after the drain for closing connections before the process is forced out. */
const CLOSE_MARGIN_MS = 3_000;

/** A started service, as `runService` needs it. */
export interface RunningService {
  readonly logger: Logger;
  /**
   * SHUTDOWN_GRACE_MS of the app: `drain` gets this long for in-flight work. The same value
   * bounds the whole stop (plus CLOSE_MARGIN_MS for `close`), so the timer and the drain can
   * never disagree.
   */
  readonly shutdownGraceMs: number;
  /** Stops taking work and finishes what is in flight (bounded by shutdownGraceMs). */
  readonly drain: () => Promise<void>;
  /** Releases connections; runs after `drain` even when the drain failed. */
  readonly close: () => Promise<void>;
}

/**
 * Runs a service: `start` wires and starts it. SIGTERM/SIGINT drain in-flight work, then close
 * (always, even after a failed drain), then the process exits 0; a second signal, or a stop
 * slower than shutdownGraceMs + CLOSE_MARGIN_MS, exits 1. Bad configuration exits 2 after naming
 * every bad variable.
 */
export function runService(name: string, start: () => Promise<RunningService>): void {
  start()
    .then(({ logger, shutdownGraceMs, drain, close }) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal while stopping: exiting now');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal, shutdownGraceMs }, 'stopping: draining in-flight work');
        const limitMs = shutdownGraceMs + CLOSE_MARGIN_MS;
        const timer = setTimeout(() => {
          logger.error({ limitMs }, 'graceful stop took too long: exiting');
          process.exit(1);
        }, limitMs);
        timer.unref();
        void stopInOrder(drain, close).then(
          () => {
            logger.info('stopped');
            logger.flush?.();
            process.exit(0);
          },
          (e: unknown) => {
            logger.error({ err: e }, 'error while stopping');
            logger.flush?.();
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    })
    .catch((e: unknown) => {
      if (e instanceof ConfigError) {
        process.stderr.write(`${name}: ${e.message}\n`);
        process.exit(2);
      }
      process.stderr.write(
        `${name}: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    });
}

/** drain, then close whatever happened to drain; the first error is rethrown. */
async function stopInOrder(drain: () => Promise<void>, close: () => Promise<void>): Promise<void> {
  try {
    await drain();
  } finally {
    await close();
    // Last: the spans of the drained work are exported before the process exits.
    await shutdownTelemetry();
  }
}
