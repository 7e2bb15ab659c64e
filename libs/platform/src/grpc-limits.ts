import type { ChannelOptions } from '@grpc/grpc-js';
import { ConfigOf, int, loadConfig } from './config';

/**
 * What one connection may cost a gRPC server. grpc-js 1.14 enforces these server options;
 * it has no cap on the number of connections and no enforcement of client ping rates
 * (`grpc.http2.min_ping_interval_without_data_ms` is a C-core option it ignores), so those are
 * left to the load balancer / network policy and to Node's own HTTP/2 flood protection
 * (docs/security.md).
 */
export interface GrpcLimits {
  /** Calls in flight on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
  /** The server pings a connection that has been quiet this long... */
  readonly keepaliveTimeMs: number;
  /** ...and drops it when the ping is not answered within this (dead or stalled peers). */
  readonly keepaliveTimeoutMs: number;
  /** A connection without calls for this long is closed (GOAWAY); 0: never. */
  readonly maxConnectionIdleMs: number;
  /** Every connection is closed after about this long (GOAWAY, ±10 % jitter); 0: never. */
  readonly maxConnectionAgeMs: number;
  /** Calls still running when the age is reached get this long before the connection drops. */
  readonly maxConnectionAgeGraceMs: number;
}

/** The variables of GrpcLimits (spread into each gRPC app's config spec). */
export const grpcLimitsConfigSpec = {
  GRPC_MAX_CONCURRENT_STREAMS: int(
    'calls in flight on one client connection; more wait on the client',
    100,
    1,
    10_000,
  ),
  GRPC_KEEPALIVE_TIME_MS: int('ping a connection quiet for this long', 60_000, 1000),
  GRPC_KEEPALIVE_TIMEOUT_MS: int(
    'drop a connection whose ping is unanswered after this',
    20_000,
    100,
  ),
  GRPC_MAX_CONNECTION_IDLE_MS: int(
    'close a connection without calls after this (0: never)',
    300_000,
    0,
  ),
  GRPC_MAX_CONNECTION_AGE_MS: int(
    'close every connection after about this long, so clients rebalance (0: never)',
    1_800_000,
    0,
  ),
  GRPC_MAX_CONNECTION_AGE_GRACE_MS: int(
    'time calls get to finish when a connection reaches its age',
    30_000,
    0,
  ),
};

/** GrpcLimits from a config parsed with grpcLimitsConfigSpec. */
export function grpcLimitsOf(c: ConfigOf<typeof grpcLimitsConfigSpec>): GrpcLimits {
  return {
    maxConcurrentStreams: c.GRPC_MAX_CONCURRENT_STREAMS,
    keepaliveTimeMs: c.GRPC_KEEPALIVE_TIME_MS,
    keepaliveTimeoutMs: c.GRPC_KEEPALIVE_TIMEOUT_MS,
    maxConnectionIdleMs: c.GRPC_MAX_CONNECTION_IDLE_MS,
    maxConnectionAgeMs: c.GRPC_MAX_CONNECTION_AGE_MS,
    maxConnectionAgeGraceMs: c.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
  };
}

/** The grpc-js server options of `limits` (0 = never: the option is left out). */
export function grpcLimitOptions(limits: GrpcLimits): ChannelOptions {
  const options: ChannelOptions = {
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
  };
  if (limits.maxConnectionIdleMs > 0)
    options['grpc.max_connection_idle_ms'] = limits.maxConnectionIdleMs;
  if (limits.maxConnectionAgeMs > 0) {
    options['grpc.max_connection_age_ms'] = limits.maxConnectionAgeMs;
    options['grpc.max_connection_age_grace_ms'] = limits.maxConnectionAgeGraceMs;
  }
  return options;
}

/** The defaults of grpcLimitsConfigSpec, for servers started without configuration (tests). */
export const DEFAULT_GRPC_LIMITS: GrpcLimits = grpcLimitsOf(loadConfig(grpcLimitsConfigSpec, {}));
