/**
 * OpenTelemetry tracing, started by an app's first import (apps/<app>/src/tracing.ts) so that
 * the instrumentations hook `require` before @grpc/grpc-js and pg are loaded: a module loaded
 * earlier is never patched. This entry point therefore imports no other platform module (the
 * platform index loads @grpc/grpc-js).
 */
import { setTelemetryShutdown } from '../telemetry-shutdown';

// Loaded only when tracing is on: the SDK and instrumentations cost about a second of start-up
// and 30 MB of memory, which a process without a collector should not pay.
/* eslint-disable @typescript-eslint/no-require-imports */
const load = () => ({
  NodeSDK: (require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node')).NodeSDK,
  GrpcInstrumentation: (
    require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc')
  ).GrpcInstrumentation,
  PgInstrumentation: (
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg')
  ).PgInstrumentation,
});
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Starts the OpenTelemetry SDK for traces when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); otherwise does nothing,
 * so that a process without a collector pays nothing but this check. Everything else (protocol,
 * headers, sampler, batch delays, resource attributes) comes from the standard OTEL_* variables,
 * which the SDK reads itself. Returns whether tracing is on.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return false;
  const { NodeSDK, GrpcInstrumentation, PgInstrumentation } = load();
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || serviceName,
    // Traces only: metrics are served by prom-client on /metrics, logs are pino lines on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Health checks (grpc.health.v1 Check/Watch) every few seconds would bury the real calls.
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      // Only statements of a traced operation: the relay's polling and lease renewals, outside
      // any span, would otherwise start a new trace every few hundred milliseconds. No spans for
      // taking a pooled connection: two more per call that say little and cost export time.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ],
  });
  sdk.start();
  setTelemetryShutdown(() => sdk.shutdown());
  return true;
}
