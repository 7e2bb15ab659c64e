import { DEFAULT_LIMITS } from '@realchat/domain';
import {
  authConfigProblems,
  authConfigSpec,
  bool,
  clientTlsProblems,
  grpcHealthConfigSpec,
  grpcLimitsConfigSpec,
  grpcTlsConfigSpec,
  grpcTlsProblems,
  hostPorts,
  int,
  kafkaSecurityProblems,
  kafkaSecuritySpec,
  LOG_LEVELS,
  loadConfig,
  oneOf,
  str,
  url,
  urls,
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
  // docs/scaling.md "Read replicas": which reads may go there and why no message is skipped.
  DATABASE_READ_URL: urls(
    'comma-separated PostgreSQL URLs of streaming replicas that serve SyncMessages (empty: the primary)',
    ['postgresql:', 'postgres:'],
  ),
  DATABASE_READ_POOL_SIZE: int('connections to each read replica in this instance', 10, 1, 500),
  READ_REPLICA_RETRY_MS: int(
    'how long a replica that failed is left out (its reads go to another replica or the primary)',
    5000,
    100,
  ),
  READ_REPLICA_LAG_INTERVAL_MS: int(
    "how often the replicas' lag is sampled for metrics",
    5000,
    100,
  ),
  CONVERSATION_API_ADDR: hostPorts('host:port of the Conversation API', '127.0.0.1:50052'),
  CONVERSATION_API_TLS: bool('call the Conversation API over TLS (docs/tls.md)', false),
  CONVERSATION_API_TLS_CA_FILE: str(
    "PEM CA bundle the Conversation API's certificate must chain to (default: system roots)",
    '',
  ),
  CONVERSATION_API_TLS_CERT_FILE: str(
    'PEM client certificate, for a Conversation API with mTLS',
    '',
  ),
  CONVERSATION_API_TLS_KEY_FILE: str('PEM private key of CONVERSATION_API_TLS_CERT_FILE', ''),
  CONVERSATION_API_TLS_SERVER_NAME: str(
    "name the Conversation API's certificate must carry, when not the host of its address",
    '',
  ),
  CONVERSATION_API_TIMEOUT_MS: int(
    'deadline of a Conversation API call when the client set none',
    2000,
    1,
  ),
  MEMBERS_CACHE_TTL_MS: int(
    'how long participants are cached while MEMBERSHIP_CHANGED events are not live: removals take effect within this',
    1000,
    0,
    60_000,
  ),
  // docs/membership-cache.md: with brokers, a consumer of the Conversation API's
  // MEMBERSHIP_CHANGED events evicts changed conversations, and entries may live longer.
  KAFKA_BROKERS: hostPorts(
    'Kafka brokers, comma-separated host:port, of the MEMBERSHIP_CHANGED events (empty: not consumed)',
    '',
  ),
  CONVERSATION_EVENTS_TOPIC: str(
    "topic of the Conversation API's MEMBERSHIP_CHANGED events",
    'chat.conversations.v1',
  ),
  ...kafkaSecuritySpec,
  MEMBERS_CACHE_EVENT_TTL_MS: int(
    'how long participants are cached while the events are live (a missed event is not seen for this long)',
    60_000,
    0,
    3_600_000,
  ),
  MEMBERSHIP_EVENTS_LIVENESS_MS: int(
    'the events count as live only while the consumer fetched within this',
    3000,
    500,
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
  ...grpcTlsConfigSpec,
  SHUTDOWN_GRACE_MS: int('time for in-flight calls to finish after SIGTERM', 10_000, 0),
  LOG_LEVEL: oneOf('pino log level', LOG_LEVELS, 'info'),
};

/** The configuration; throws one ConfigError naming every bad variable and combination. */
export function loadMessageApiConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(messageApiConfigSpec, env, [
    authConfigProblems,
    kafkaSecurityProblems,
    (c) => grpcTlsProblems(c as Parameters<typeof grpcTlsProblems>[0]),
    (c) =>
      clientTlsProblems(
        { name: 'CONVERSATION_API_TLS', value: c.CONVERSATION_API_TLS ?? false },
        {
          ca: ['CONVERSATION_API_TLS_CA_FILE', c.CONVERSATION_API_TLS_CA_FILE ?? ''],
          cert: ['CONVERSATION_API_TLS_CERT_FILE', c.CONVERSATION_API_TLS_CERT_FILE ?? ''],
          key: ['CONVERSATION_API_TLS_KEY_FILE', c.CONVERSATION_API_TLS_KEY_FILE ?? ''],
        },
      ),
  ]);
}

/** TLS of the Conversation API client, or null for plaintext. */
export function conversationApiTlsOf(config: ReturnType<typeof loadMessageApiConfig>) {
  if (!config.CONVERSATION_API_TLS) return null;
  return {
    caFile: config.CONVERSATION_API_TLS_CA_FILE || undefined,
    certFile: config.CONVERSATION_API_TLS_CERT_FILE || undefined,
    keyFile: config.CONVERSATION_API_TLS_KEY_FILE || undefined,
    serverName: config.CONVERSATION_API_TLS_SERVER_NAME || undefined,
    // The same cadence as the server's own files.
    reloadIntervalMs: config.GRPC_TLS_RELOAD_INTERVAL_MS,
  };
}
