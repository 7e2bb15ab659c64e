import { trace } from '@opentelemetry/api';
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
    mixin: traceFields,
  });
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
