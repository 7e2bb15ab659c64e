import fs from 'node:fs';

/**
 * PostgreSQL and Kafka in containers, for machines that have a Docker engine. Containers live as
 * long as the process that started them (testcontainers' reaper removes them afterwards).
 */
export function dockerAvailable(): boolean {
  if (process.env.TESTCONTAINERS_DISABLED === 'true') return false;
  return Boolean(process.env.DOCKER_HOST) || fs.existsSync('/var/run/docker.sock');
}

export async function startContainers(): Promise<{ databaseUrl: string; kafkaBrokers: string }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const pg = await new GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'realchat' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  // Kafka advertises the host port it is mapped to, so clients outside the container reach it.
  const kafkaPort = 19092 + Math.floor(Math.random() * 1000);
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  return {
    databaseUrl: `postgresql://postgres:postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/realchat`,
    kafkaBrokers: `127.0.0.1:${kafka.getMappedPort(kafkaPort)}`,
  };
}
