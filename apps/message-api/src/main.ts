import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/**
 * message-api composition root: configuration, wiring, start, graceful stop.
 * Nothing else reads process.env.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Database, ReadReplicas } from '@realchat/persistence';
import { MessageReads, MessageStore } from '@realchat/persistence/messages';
import {
  createAuthenticator,
  createLogger,
  grpcLimitsOf,
  isMutualTls,
  logAuthMode,
  createMetricsRegistry,
  grpcServerCredentials,
  GrpcServerMetrics,
  grpcTransportOf,
  observeDbPool,
  runService,
  serverTlsOf,
  serviceNameOf,
  ServiceHealth,
  startHttpProbes,
  stopGrpcServer,
  kafkaSecurityOf,
  hostPortList,
} from '@realchat/platform';
import { MessageApiService } from '@realchat/proto';
import { ConversationApiDirectory } from './adapters/conversation-api-client';
import { TokenBucketLimiter } from './adapters/token-bucket-limiter';
import { DeleteMessage } from './app/delete-message';
import { EditMessage } from './app/edit-message';
import type { ConversationDirectory, ConversationWrites, SyncPages } from './app/ports';
import { ReadHistory } from './app/read-history';
import { SendMessage } from './app/send-message';
import { SyncMessages } from './app/sync-messages';
import { conversationApiTlsOf, loadMessageApiConfig } from './config';
import { startMessageApiServer } from './grpc/message-api-server';
import { protoMessageEvents } from './grpc/message-events';
import { MessageApiMetrics } from './metrics';

runService('message-api', async () => {
  const config = loadMessageApiConfig(process.env);
  const logger = createLogger('message-api', config.LOG_LEVEL);
  const authenticator = createAuthenticator(config);
  logAuthMode(logger, config.AUTH_MODE, isMutualTls(config));
  const registry = createMetricsRegistry();
  const metrics = new MessageApiMetrics(registry);

  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  observeDbPool(registry, db.pool);
  // Sync (and any other read-only history port) may be served by streaming replicas; writes
  // and membership stay on the primary (docs/scaling.md "Read replicas").
  const replicas =
    config.DATABASE_READ_URL.length > 0
      ? new ReadReplicas({
          urls: config.DATABASE_READ_URL,
          poolSize: config.DATABASE_READ_POOL_SIZE,
          primary: db,
          retryAfterMs: config.READ_REPLICA_RETRY_MS,
          observer: {
            ...metrics.readReplicasObserver,
            fallback: (replica, reason) => {
              metrics.readReplicasObserver.fallback?.(replica, reason);
              // Once per READ_REPLICA_RETRY_MS at most: the replica is then left out.
              if (reason === 'unreachable')
                logger.warn({ replica }, 'read replica unreachable; its reads go elsewhere');
            },
          },
        })
      : null;
  // The adapters, assigned to the ports the use cases take.
  const messages: ConversationWrites = new MessageStore(db, config.WRITE_TX_TIMEOUT_MS, {
    lockWaitSeconds: metrics.lockWaitSeconds,
  });
  // The read side: single-statement reads over the replicas, else the primary.
  const reads: SyncPages = new MessageReads(replicas?.reads ?? db.pool);
  const lagSampler = replicas
    ? setInterval(() => {
        replicas
          .lag(config.HEALTH_CHECK_TIMEOUT_MS)
          .then((samples) => metrics.replicaLag(samples))
          .catch(() => undefined);
      }, config.READ_REPLICA_LAG_INTERVAL_MS)
    : undefined;
  const directory = new ConversationApiDirectory({
    address: config.CONVERSATION_API_ADDR,
    tls: conversationApiTlsOf(config),
    membersCacheTtlMs: config.MEMBERS_CACHE_TTL_MS,
    membersCacheEventTtlMs: config.MEMBERS_CACHE_EVENT_TTL_MS,
    // Without brokers there are no events, and the short TTL always applies (as before them).
    membershipEventsTopic: config.KAFKA_BROKERS ? config.CONVERSATION_EVENTS_TOPIC : undefined,
    eventsLivenessMs: config.MEMBERSHIP_EVENTS_LIVENESS_MS,
    defaultTimeoutMs: config.CONVERSATION_API_TIMEOUT_MS,
    observer: {
      ...metrics.conversationApiObserver,
      membersCache: {
        ...metrics.conversationApiObserver.membersCache,
        // Once per transition: Kafka being down degrades the cache, never readiness.
        live: (live, reason) => {
          metrics.conversationApiObserver.membersCache?.live?.(live, reason);
          if (live)
            logger.info('membership events live: members cached until a change evicts them');
          else
            logger.warn(
              { reason, ttlMs: config.MEMBERS_CACHE_TTL_MS },
              'membership events not live: members cache cleared, short TTL',
            );
        },
      },
    },
  });
  // docs/membership-cache.md. A group of this instance's own (each instance must evict on every
  // event); fetches at least every third of the liveness window so an idle consumer stays live.
  const membershipEvents = config.KAFKA_BROKERS
    ? new (membershipConsumerModule().KafkaMembershipConsumer)(
        {
          brokers: hostPortList(config.KAFKA_BROKERS),
          topic: config.CONVERSATION_EVENTS_TOPIC,
          ...kafkaSecurityOf(config),
          groupId: `message-api-members-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
          clientId: `message-api-${process.pid}`,
          fetchWaitMs: Math.floor(config.MEMBERSHIP_EVENTS_LIVENESS_MS / 3),
        },
        directory.membershipEvents,
        logger,
      )
    : null;
  membershipEvents?.start();
  const conversations: ConversationDirectory = directory;
  const health = new ServiceHealth({
    services: [serviceNameOf(MessageApiService)],
    dependencies: [
      { name: 'postgres', check: () => db.ping(config.HEALTH_CHECK_TIMEOUT_MS) },
      { name: 'conversation-api', check: () => directory.answers(config.HEALTH_CHECK_TIMEOUT_MS) },
    ],
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    logger,
  });
  const limits = {
    maxContentBytes: config.MAX_CONTENT_BYTES,
    maxMetadataBytes: config.MAX_METADATA_BYTES,
  };

  const http = await startHttpProbes(config.MESSAGE_API_HTTP_HOST, config.MESSAGE_API_HTTP_PORT, {
    registry,
    readiness: () => health.probe(),
    logger,
  });
  const { server, port } = await startMessageApiServer(
    {
      send: new SendMessage(messages, conversations, protoMessageEvents, limits, {
        maxBatch: config.SEND_BATCH_MAX,
        onBatch: metrics.sendBatchSize,
        rate:
          config.SEND_RATE_PER_SECOND > 0
            ? new TokenBucketLimiter(config.SEND_RATE_PER_SECOND, config.SEND_RATE_BURST)
            : undefined, // no limit
      }),
      delete: new DeleteMessage(messages, conversations, protoMessageEvents),
      sync: new SyncMessages(reads, conversations),
      history: new ReadHistory(reads, conversations),
      edit: new EditMessage(messages, conversations, protoMessageEvents, limits),
    },
    {
      host: config.MESSAGE_API_HOST,
      port: config.MESSAGE_API_PORT,
      limits,
      logger,
      health,
      reflection: config.GRPC_REFLECTION,
      metrics: new GrpcServerMetrics(registry),
      authenticator,
      grpcLimits: grpcLimitsOf(config),
      credentials: await grpcServerCredentials(serverTlsOf(config)),
    },
  );
  await health.start();
  logger.info(
    {
      address: `${config.MESSAGE_API_HOST}:${port}`,
      http: `${config.MESSAGE_API_HTTP_HOST}:${http.port}`,
      transport: grpcTransportOf(config),
      conversationApi: config.CONVERSATION_API_ADDR,
      conversationApiTls: config.CONVERSATION_API_TLS,
      poolSize: config.DATABASE_POOL_SIZE,
      readReplicas: config.DATABASE_READ_URL.length,
      ready: health.readiness().ready,
      reflection: config.GRPC_REFLECTION,
      authMode: config.AUTH_MODE,
      sendRatePerSecond: config.SEND_RATE_PER_SECOND,
      membershipEvents: membershipEvents ? config.CONVERSATION_EVENTS_TOPIC : 'off',
    },
    'message-api serving realchat.message.v1.MessageApi',
  );

  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: () => stopGrpcServer(server, config.SHUTDOWN_GRACE_MS, health),
    close: async () => {
      await membershipEvents?.stop();
      directory.close();
      clearInterval(lagSampler);
      await http.close();
      await replicas?.close();
      await db.close();
    },
  };
});

/**
 * The consumer's module, required only when KAFKA_BROKERS is set: an instance without events
 * does not load kafkajs (memory). The bundler (esbuild) still inlines the module, wrapped so it
 * runs on this first call.
 */
function membershipConsumerModule() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return require('./adapters/kafka-membership-consumer') as typeof import('./adapters/kafka-membership-consumer');
  /* eslint-enable @typescript-eslint/no-require-imports */
}
