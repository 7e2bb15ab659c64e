import type { ServiceHealth } from './grpc-health';
import type { GrpcServerMetrics } from './grpc-metrics';
import { withMalformedRequestsRejected } from './grpc-malformed';
import { DEFAULT_GRPC_LIMITS, GrpcLimits, grpcLimitOptions } from './grpc-limits';
import { addReflection } from './grpc-reflection';
import { handlersSettled } from './grpc-unary';
import {
  Server,
  ServerCredentials,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';

/** Largest request a server accepts unless told otherwise (grpc-js' own default is 4 MiB). */
export const DEFAULT_MAX_RECEIVE_BYTES = 1024 * 1024;

export interface GrpcServerOptions {
  /**
   * Largest request message, in bytes; larger ones are refused with RESOURCE_EXHAUSTED before
   * they are decoded. A service whose requests carry configurable payloads derives it from them.
   */
  readonly maxReceiveBytes?: number;
  /** Serves grpc.health.v1.Health from this health state. */
  readonly health?: ServiceHealth;
  /** Serves gRPC server reflection listing the service (and Health when served). */
  readonly reflection?: boolean;
  /** Records grpc_server_* for every call of the service. */
  readonly metrics?: GrpcServerMetrics;
  /** What one connection may cost (grpc-limits.ts); the defaults when unset. */
  readonly limits?: GrpcLimits;
  /** Transport security (grpcServerCredentials); plaintext when unset. */
  readonly credentials?: ServerCredentials;
}

/** The full name of a service, e.g. realchat.message.v1.MessageApi. */
export function serviceNameOf(service: ServiceDefinition): string {
  const path = Object.values(service)[0]?.path ?? '';
  return path.split('/')[1] ?? '';
}

/**
 * Starts a gRPC server with one service on host:port (port 0 picks a free one), with health and
 * reflection when the options ask for them.
 */
export async function startGrpcServer(
  service: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  host: string,
  port: number,
  options: GrpcServerOptions = {},
): Promise<{ server: Server; port: number }> {
  const server = new Server({
    ...grpcLimitOptions(options.limits ?? DEFAULT_GRPC_LIMITS),
    'grpc.max_receive_message_length': options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const measured = options.metrics
    ? options.metrics.instrument(service, implementation)
    : implementation;
  server.addService(withMalformedRequestsRejected(service), measured);
  options.health?.addToServer(server);
  if (options.reflection) {
    const listed = [serviceNameOf(service), ...(options.health ? ['grpc.health.v1.Health'] : [])];
    addReflection(server, listed);
  }
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${host}:${port}`,
      options.credentials ?? ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return { server, port: bound };
}

/**
 * Stops accepting calls and waits for in-flight calls and for every handler's work to finish,
 * including handlers of calls the client already cancelled (force after `graceMs`). With
 * `health`, it turns NOT_SERVING first, so load balancers and watchers learn at once that this
 * instance is leaving.
 */
export function stopGrpcServer(
  server: Server,
  graceMs = 10_000,
  health?: { drain(): void },
): Promise<void> {
  health?.drain();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      void handlersSettled().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  });
}
