import os from 'node:os';
import {
  ConfigError,
  hostPortList,
  hostPorts,
  int,
  kafkaSecurityOf,
  kafkaSecurityProblems,
  kafkaSecuritySpec,
  LOG_LEVELS,
  loadConfig,
  oneOf,
  str,
  url,
} from '@realchat/platform';
import type { KafkaSinkOptions } from './adapters/kafka-sink';
import { validateRelayConfig, withDefaults, type RelayConfig } from './relay/relay-config';

/** outbox-relay configuration (README "Configuration"). */
export const relayConfigSpec = {
  DATABASE_URL: url('PostgreSQL URL of the message database (the outbox)', [
    'postgresql:',
    'postgres:',
  ]),
  DATABASE_POOL_SIZE: int('PostgreSQL connections of this replica', 4, 2, 100),
  KAFKA_BROKERS: hostPorts('Kafka bootstrap brokers, comma-separated host:port', '127.0.0.1:9092'),
  KAFKA_TOPIC: str('topic the events go to', 'chat.messages.v1'),
  KAFKA_TOPIC_PARTITIONS: int('partitions when the relay creates the topic', 12, 1, 10_000),
  KAFKA_TOPIC_REPLICATION_FACTOR: int(
    'replication factor when the relay creates the topic; 0: min(3, brokers in the cluster)',
    0,
    0,
    10,
  ),
  KAFKA_TOPIC_MIN_INSYNC_REPLICAS: int(
    'min.insync.replicas when the relay creates the topic; 0: 2 with 3+ replicas, else 1',
    0,
    0,
    10,
  ),
  KAFKA_REQUEST_TIMEOUT_MS: int(
    'Kafka request timeout (a whole publish is also cut at a quarter of RELAY_LEASE_MS)',
    10_000,
    100,
  ),
  ...kafkaSecuritySpec,
  RELAY_REPLICA_ID: str("this replica's name in shard leases (default: hostname-pid)", ''),
  RELAY_SHARD_COUNT: int('shards the outbox is split into; the same on every replica', 32, 1, 4096),
  RELAY_LEASE_MS: int(
    "shard lease duration: a dead replica's shards move within this",
    10_000,
    1000,
    600_000,
  ),
  RELAY_BATCH_SIZE: int('most rows read and sent to Kafka in one batch', 500, 1, 10_000),
  RELAY_MAX_IN_FLIGHT_BATCHES: int(
    'most batches between read and deleted (2: read the next while one is sent; 3: also delete the last meanwhile); 1: one at a time',
    2,
    1,
    16,
  ),
  RELAY_POLL_INTERVAL_MS: int('polling fallback when no NOTIFY arrives', 1000, 10, 60_000),
  RELAY_MAX_ATTEMPTS: int('failed attempts before an unpublishable row is parked', 5, 1, 1000),
  RELAY_BACKOFF_MIN_MS: int('first retry delay while Kafka is down', 200, 10),
  RELAY_BACKOFF_MAX_MS: int('longest retry delay while Kafka is down', 10_000, 100),
  RELAY_HTTP_HOST: str('interface of /metrics, /healthz, /readyz', '0.0.0.0'),
  RELAY_HTTP_PORT: int('port of /metrics, /healthz, /readyz (0 picks a free one)', 9464, 0, 65535),
  SHUTDOWN_GRACE_MS: int('time to finish the in-flight batch after SIGTERM', 15_000, 0),
  LOG_LEVEL: oneOf('pino log level', LOG_LEVELS, 'info'),
};

export type RelayEnv = ReturnType<typeof loadRelayEnv>;

/** The variables, each parsed on its own. */
function loadRelayEnv(env: NodeJS.ProcessEnv) {
  return loadConfig(relayConfigSpec, env);
}

// Which variable sets which relay setting, to name them in errors.
const VARIABLE_OF: Partial<Record<keyof RelayConfig, string>> = {
  leaseMs: 'RELAY_LEASE_MS',
  pollIntervalMs: 'RELAY_POLL_INTERVAL_MS',
  backoffMinMs: 'RELAY_BACKOFF_MIN_MS',
  backoffMaxMs: 'RELAY_BACKOFF_MAX_MS',
  drainTimeoutMs: 'SHUTDOWN_GRACE_MS',
};

/**
 * Everything main.ts needs, from the environment; throws one ConfigError with every problem,
 * including settings that contradict each other (OutboxRelay's validation).
 */
export function loadRelayConfig(env: NodeJS.ProcessEnv): {
  env: RelayEnv;
  relay: RelayConfig;
  kafka: KafkaSinkOptions;
} {
  const e = loadRelayEnv(env);
  const replicaId = e.RELAY_REPLICA_ID || `${os.hostname()}-${process.pid}`;
  const relay = withDefaults({
    replicaId,
    shardCount: e.RELAY_SHARD_COUNT,
    leaseMs: e.RELAY_LEASE_MS,
    batchSize: e.RELAY_BATCH_SIZE,
    maxInFlightBatches: e.RELAY_MAX_IN_FLIGHT_BATCHES,
    pollIntervalMs: e.RELAY_POLL_INTERVAL_MS,
    maxAttempts: e.RELAY_MAX_ATTEMPTS,
    backoffMinMs: e.RELAY_BACKOFF_MIN_MS,
    backoffMaxMs: e.RELAY_BACKOFF_MAX_MS,
    drainTimeoutMs: e.SHUTDOWN_GRACE_MS,
  });
  const problems = validateRelayConfig(relay).map((p) => {
    const field = p.split(' ')[0] as keyof RelayConfig;
    return VARIABLE_OF[field] ? `${VARIABLE_OF[field]}: ${p}` : p;
  });
  if (
    e.KAFKA_TOPIC_REPLICATION_FACTOR > 0 &&
    e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS > e.KAFKA_TOPIC_REPLICATION_FACTOR
  )
    problems.push(
      `KAFKA_TOPIC_MIN_INSYNC_REPLICAS (${e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS}) must not exceed ` +
        `KAFKA_TOPIC_REPLICATION_FACTOR (${e.KAFKA_TOPIC_REPLICATION_FACTOR}): no write could ever succeed`,
    );
  problems.push(...kafkaSecurityProblems(e));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    env: e,
    relay,
    kafka: {
      brokers: hostPortList(e.KAFKA_BROKERS),
      clientId: `outbox-relay-${replicaId}`,
      topic: e.KAFKA_TOPIC,
      topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
      topicReplicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
      topicMinInsyncReplicas: e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS,
      requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
      ...kafkaSecurityOf(e),
    },
  };
}
