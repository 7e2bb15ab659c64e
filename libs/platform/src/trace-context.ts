import { context, propagation } from '@opentelemetry/api';

/**
 * The W3C traceparent of the active span (e.g. the gRPC server span of the call), or undefined
 * when there is none or tracing is off (the API's no-op propagator writes nothing). Stored in an
 * outbox row, it makes the relay's produce span a child of the call that wrote the row.
 */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
