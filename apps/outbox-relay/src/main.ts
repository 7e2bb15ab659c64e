import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/**
 * outbox-relay composition root: config -> adapters -> OutboxRelay -> HTTP probes ->
 * runService. Streams outbox rows to Kafka until SIGTERM.
 */
import { Database } from '@realchat/persistence';
import { ShardLeases } from '@realchat/persistence/leases';
import { OutboxListener, OutboxStore } from '@realchat/persistence/outbox';
import { createLogger, observeDbPool, runService } from '@realchat/platform';
import { KafkaSink } from './adapters/kafka-sink';
import { loadRelayConfig } from './config';
import { startProbes } from './http/probes';
import { RelayMetrics } from './metrics';
import { OutboxRelay } from './relay/outbox-relay';

runService('outbox-relay', async () => {
  const { env, relay: config, kafka } = loadRelayConfig(process.env);
  const logger = createLogger('outbox-relay', env.LOG_LEVEL).child({ replica: config.replicaId });
  const metrics = new RelayMetrics();

  const db = new Database({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE });
  observeDbPool(metrics.registry, db.pool);
  const source = new OutboxStore(db, config.shardCount);
  const relay = new OutboxRelay(config, {
    source,
    sink: new KafkaSink(kafka, logger),
    leases: new ShardLeases(db, config.replicaId, config.shardCount, config.leaseMs),
    commits: new OutboxListener(env.DATABASE_URL, {
      onStateChange: (connected, err) =>
        connected
          ? logger.info('listening for outbox commits')
          : logger.warn({ err: err?.message }, 'LISTEN connection lost; polling until it is back'),
    }),
    metrics,
    logger,
  });
  const http = await startProbes(env.RELAY_HTTP_HOST, env.RELAY_HTTP_PORT, {
    metrics,
    source,
    ready: () => relay.ready(),
    logger,
  });

  const stopped = relay.run();
  stopped.catch((e: unknown) => logger.error({ err: e }, 'outbox relay stopped unexpectedly'));
  // A relay that fails before it has started must fail the start, not hang it.
  await Promise.race([relay.started, stopped]);
  logger.info(
    {
      topic: kafka.topic,
      shards: config.shardCount,
      http: `${env.RELAY_HTTP_HOST}:${http.port}`,
    },
    'outbox-relay running',
  );

  return {
    logger,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    // The batch in flight is acknowledged first (at most SHUTDOWN_GRACE_MS), then the leases
    // are released at once.
    drain: () => relay.close(),
    close: async () => {
      await http.close();
      await db.close();
    },
  };
});
