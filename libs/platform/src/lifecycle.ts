import type { Logger } from 'pino';
import { ConfigError } from './config';

/**
 * Runs a service: `start` wires and starts it and returns its `stop`. SIGTERM/SIGINT call stop
 * once (draining in-flight work), then the process exits 0; a second signal, or a stop slower
 * than `graceMs`, exits 1. Bad configuration exits 2 after naming every bad variable.
 */
export function runService(
  name: string,
  start: () => Promise<{ logger: Logger; stop: () => Promise<void> }>,
  graceMs = 15_000,
): void {
  start()
    .then(({ logger, stop }) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal while stopping: exiting now');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'stopping: draining in-flight work');
        const timer = setTimeout(() => {
          logger.error({ graceMs }, 'graceful stop took too long: exiting');
          process.exit(1);
        }, graceMs);
        timer.unref();
        stop().then(
          () => {
            logger.info('stopped');
            logger.flush?.();
            process.exit(0);
          },
          (e: unknown) => {
            logger.error({ err: e }, 'error while stopping');
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
