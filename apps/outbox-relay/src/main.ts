/** outbox-relay composition root: streams outbox rows to Kafka until SIGTERM. */
import os from 'node:os';
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxListener, OutboxStore } from '@realchat/persistence/outbox';
import { createLogger, runService } from '@realchat/platform';
import { loadRelayConfig } from './config';
import { startHttpServer } from './http-server';
import { KafkaPublisher } from './kafka-publisher';
import { LeaseKeeper } from './lease-keeper';
import { RelayMetrics } from './metrics';
import { Relay } from './relay';

runService('outbox-relay', async () => {
  const config = loadRelayConfig(process.env);
  const replicaId = config.RELAY_REPLICA_ID || `${os.hostname()}-${process.pid}`;
  const logger = createLogger('outbox-relay', config.LOG_LEVEL).child({ replica: replicaId });
  const metrics = new RelayMetrics();

  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const outbox = new OutboxStore(db, config.RELAY_SHARD_COUNT);
  const shardLeases = new ShardLeases(
    db,
    replicaId,
    config.RELAY_SHARD_COUNT,
    config.RELAY_LEASE_MS,
  );
  await shardLeases.ensureShards();

  const publisher = new KafkaPublisher(
    {
      brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      clientId: `outbox-relay-${replicaId}`,
      topic: config.KAFKA_TOPIC,
      topicPartitions: config.KAFKA_TOPIC_PARTITIONS,
      topicReplicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
      requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    },
    logger,
  );
  let relay: Relay | null = null;
  const keeper = new LeaseKeeper(
    shardLeases,
    config.RELAY_SHARD_COUNT,
    config.RELAY_LEASE_MS,
    logger,
    metrics,
    () => relay?.notify(),
  );
  relay = new Relay(outbox, keeper, publisher, metrics, logger, {
    replicaId,
    shardCount: config.RELAY_SHARD_COUNT,
    batchSize: config.RELAY_BATCH_SIZE,
    pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
    maxAttempts: config.RELAY_MAX_ATTEMPTS,
    backoffMinMs: config.RELAY_BACKOFF_MIN_MS,
    backoffMaxMs: config.RELAY_BACKOFF_MAX_MS,
  });
  const listener = new OutboxListener(
    config.DATABASE_URL,
    (hash) => relay.notify(hash),
    (connected, err) =>
      connected
        ? logger.info('listening for outbox commits')
        : logger.warn({ err: err?.message }, 'LISTEN connection lost; polling until it is back'),
  );

  const http = await startHttpServer(
    config.RELAY_HTTP_HOST,
    config.RELAY_HTTP_PORT,
    metrics,
    outbox,
    () => relay.ready(),
    logger,
  );
  const stop = new AbortController();
  await keeper
    .round()
    .catch((e: unknown) => logger.warn({ err: e }, 'first lease round failed; retrying'));
  await listener.start();
  const keeping = keeper.run(stop.signal);
  const running = relay.run(stop.signal);
  logger.info(
    {
      topic: config.KAFKA_TOPIC,
      shards: config.RELAY_SHARD_COUNT,
      http: `${config.RELAY_HTTP_HOST}:${http.port}`,
    },
    'outbox-relay running',
  );

  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: async () => {
      stop.abort();
      await running; // the in-flight batch is acknowledged first
      await keeping;
      await keeper
        .leave()
        .catch((e: unknown) =>
          logger.warn({ err: e }, 'could not release leases; they expire by themselves'),
        );
    },
    close: async () => {
      await listener.close();
      await publisher.disconnect();
      http.server.close();
      await db.close();
    },
  };
});
