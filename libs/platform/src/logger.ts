import { trace } from '@opentelemetry/api';
import pino, { Logger } from 'pino';
import { maskLogArgument, REDACTED_LOG_PATHS } from './redact';

export type { Logger };

/**
 * The one JSON logger of a service (pino). `level` comes from LOG_LEVEL via the config.
 * Secrets are kept out as a second line of defence behind not logging them (redact.ts): named
 * fields are redacted, URL passwords masked in every argument.
 */
export function createLogger(
  service: string,
  level: string,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        return method.apply(this, args.map(maskLogArgument) as Parameters<typeof method>);
      },
    },
  };
  // Tests pass a destination to read the lines; services write to stdout.
  return destination ? pino(options, destination) : pino(options);
}

/**
 * trace_id and span_id of the span a line is written in, so logs and traces join; nothing
 * outside a span or when tracing is off (the API's no-op answers no active span).
 */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
