import {
  authConfigProblems,
  authConfigSpec,
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
} from '@realchat/platform';

/** conversation-stub configuration (README "Configuration"). */
export const conversationStubConfigSpec = {
  CONVERSATION_STUB_HOST: str('interface the gRPC server binds to', '0.0.0.0'),
  CONVERSATION_STUB_PORT: int('gRPC port (0 picks a free one)', 50052, 0, 65535),
  CONVERSATION_STUB_HTTP_HOST: str('interface of /metrics, /healthz, /readyz', '0.0.0.0'),
  CONVERSATION_STUB_HTTP_PORT: int(
    'port of /metrics, /healthz, /readyz (0 picks a free one)',
    9466,
    0,
    65535,
  ),
  DATABASE_URL: url('PostgreSQL URL (the stub uses the stub_* tables)', [
    'postgresql:',
    'postgres:',
  ]),
  DATABASE_POOL_SIZE: int('PostgreSQL connections in this instance', 10, 1, 500),
  // docs/membership-cache.md: with brokers, every membership change is published (acks=all)
  // before it is acknowledged, so message-api may cache members for longer.
  KAFKA_BROKERS: hostPorts(
    'Kafka brokers, comma-separated host:port, for MEMBERSHIP_CHANGED events (empty: none published)',
    '',
  ),
  CONVERSATION_EVENTS_TOPIC: str(
    'topic of the MEMBERSHIP_CHANGED events (keyed by conversation id)',
    'chat.conversations.v1',
  ),
  ...kafkaSecuritySpec,
  ...grpcHealthConfigSpec,
  ...grpcLimitsConfigSpec,
  // Applies to the admin operations (create, add and remove participants); the reads and
  // NextSequence are service calls from message-api, guarded by the transport (docs/security.md).
  ...authConfigSpec,
  ...grpcTlsConfigSpec,
  SHUTDOWN_GRACE_MS: int('time for in-flight calls to finish after SIGTERM', 10_000, 0),
  LOG_LEVEL: oneOf('pino log level', LOG_LEVELS, 'info'),
};

/** The configuration; throws one ConfigError naming every bad variable and combination. */
export function loadConversationStubConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(conversationStubConfigSpec, env, [
    authConfigProblems,
    (c) => grpcTlsProblems(c as Parameters<typeof grpcTlsProblems>[0]),
    kafkaSecurityProblems,
  ]);
}
