import { DEFAULT_LIMITS } from '@realchat/domain';
import {
  authConfigProblems,
  authConfigSpec,
  grpcHealthConfigSpec,
  grpcLimitsConfigSpec,
  hostPorts,
  int,
  LOG_LEVELS,
  loadConfig,
  oneOf,
  str,
  url,
} from '@realchat/platform';

/** message-api configuration (README "Configuration" lists the same variables). */
export const messageApiConfigSpec = {
  MESSAGE_API_HOST: str('interface the gRPC server binds to', '0.0.0.0'),
  MESSAGE_API_PORT: int('gRPC port (0 picks a free one)', 50051, 0, 65535),
  MESSAGE_API_HTTP_HOST: str('interface of /metrics, /healthz, /readyz', '0.0.0.0'),
  MESSAGE_API_HTTP_PORT: int(
    'port of /metrics, /healthz, /readyz (0 picks a free one)',
    9465,
    0,
    65535,
  ),
  DATABASE_URL: url('PostgreSQL URL of the message database', ['postgresql:', 'postgres:']),
  DATABASE_POOL_SIZE: int('PostgreSQL connections in this instance', 10, 1, 500),
  CONVERSATION_API_ADDR: hostPorts('host:port of the Conversation API', '127.0.0.1:50052'),
  CONVERSATION_API_TIMEOUT_MS: int(
    'deadline of a Conversation API call when the client set none',
    2000,
    1,
  ),
  MEMBERS_CACHE_TTL_MS: int(
    'how long participants are cached: removals take effect within this',
    1000,
    0,
    60_000,
  ),
  // The server's receive limit is derived from these two (grpc/message-api-server.ts), so a
  // send at both maximums always fits.
  MAX_CONTENT_BYTES: int(
    'largest message content, in UTF-8 bytes',
    DEFAULT_LIMITS.maxContentBytes,
    1,
    1024 * 1024,
  ),
  MAX_METADATA_BYTES: int(
    'largest metadata_json, in UTF-8 bytes',
    DEFAULT_LIMITS.maxMetadataBytes,
    2,
    64 * 1024,
  ),
  WRITE_TX_TIMEOUT_MS: int(
    'longest a write transaction may run when the client set no deadline',
    10_000,
    100,
  ),
  SEND_BATCH_MAX: int(
    'most sends to one conversation written by one group commit (1: each send on its own)',
    128,
    1,
    1000,
  ),
  ...grpcHealthConfigSpec,
  ...grpcLimitsConfigSpec,
  ...authConfigSpec,
  // Per instance (adapters/token-bucket-limiter.ts); off by default so local runs and the
  // benchmarks are not throttled; deploy/ turns it on.
  SEND_RATE_PER_SECOND: int(
    'sends per second one user may make on one instance, on average (0: no limit)',
    0,
    0,
    100_000,
  ),
  SEND_RATE_BURST: int('sends one user may make at once before the rate applies', 20, 1, 100_000),
  SHUTDOWN_GRACE_MS: int('time for in-flight calls to finish after SIGTERM', 10_000, 0),
  LOG_LEVEL: oneOf('pino log level', LOG_LEVELS, 'info'),
};

export function loadMessageApiConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(messageApiConfigSpec, env, [authConfigProblems]);
}
