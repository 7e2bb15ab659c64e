import pino, { Logger } from 'pino';

export type { Logger };

/** The one JSON logger of a service (pino). `level` comes from LOG_LEVEL via the config. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
