/**
 * Imported first by main.ts: the OpenTelemetry instrumentations must hook `require` before
 * @grpc/grpc-js, pg and the rest load (esbuild keeps import order in the CJS bundle). Reads only
 * the standard OTEL_* variables (README "Configuration"); tracing is off without an endpoint.
 */
import { startTracing } from '@realchat/platform/tracing';

startTracing('conversation-stub', process.env);
