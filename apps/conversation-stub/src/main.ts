import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/** conversation-stub composition root: a durable stand-in for RealChat's Conversation API. */
import { Database } from '@realchat/persistence';
import { ConversationStore } from '@realchat/persistence/conversations';
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
  startGrpcServer,
  startHttpProbes,
  stopGrpcServer,
  kafkaSecurityOf,
  hostPortList,
} from '@realchat/platform';
import { ConversationApiService } from '@realchat/proto';
import { Conversations } from './app/conversations';
import { loadConversationStubConfig } from './config';
import { conversationApiHandlers } from './grpc/conversation-api-handlers';

runService('conversation-stub', async () => {
  const config = loadConversationStubConfig(process.env);
  const logger = createLogger('conversation-stub', config.LOG_LEVEL);
  const authenticator = createAuthenticator(config, { required: false });
  logAuthMode(logger, config.AUTH_MODE, isMutualTls(config));
  const registry = createMetricsRegistry();
  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  observeDbPool(registry, db.pool);
  const health = new ServiceHealth({
    services: [serviceNameOf(ConversationApiService)],
    dependencies: [{ name: 'postgres', check: () => db.ping(config.HEALTH_CHECK_TIMEOUT_MS) }],
    intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    logger,
  });
  const http = await startHttpProbes(
    config.CONVERSATION_STUB_HTTP_HOST,
    config.CONVERSATION_STUB_HTTP_PORT,
    {
      registry,
      readiness: () => health.probe(),
      logger,
    },
  );
  // Optional: without brokers no change is announced (message-api keeps its short TTL).
  const events = config.KAFKA_BROKERS
    ? new (membershipEventsModule().KafkaMembershipEvents)(
        {
          brokers: hostPortList(config.KAFKA_BROKERS),
          topic: config.CONVERSATION_EVENTS_TOPIC,
          ...kafkaSecurityOf(config),
          clientId: `conversation-stub-${process.pid}`,
        },
        logger,
      )
    : null;
  await events?.start();
  const handlers = conversationApiHandlers(
    new Conversations(new ConversationStore(db), events),
    logger,
    authenticator,
  );
  const { server, port } = await startGrpcServer(
    ConversationApiService,
    handlers,
    config.CONVERSATION_STUB_HOST,
    config.CONVERSATION_STUB_PORT,
    {
      health,
      reflection: config.GRPC_REFLECTION,
      metrics: new GrpcServerMetrics(registry),
      limits: grpcLimitsOf(config),
      credentials: await grpcServerCredentials(serverTlsOf(config)),
    },
  );
  await health.start();
  logger.info(
    {
      address: `${config.CONVERSATION_STUB_HOST}:${port}`,
      http: `${config.CONVERSATION_STUB_HTTP_HOST}:${http.port}`,
      ready: health.readiness().ready,
      membershipEvents: events ? config.CONVERSATION_EVENTS_TOPIC : 'off',
      transport: grpcTransportOf(config),
      reflection: config.GRPC_REFLECTION,
      authMode: config.AUTH_MODE,
    },
    'conversation-stub serving realchat.conversation.v1.ConversationApi',
  );
  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: () => stopGrpcServer(server, config.SHUTDOWN_GRACE_MS, health),
    close: async () => {
      await events?.close();
      await http.close();
      await db.close();
    },
  };
});

/**
 * The publisher's module, required only when KAFKA_BROKERS is set: a stub without events does
 * not load kafkajs (memory). The bundler (esbuild) still inlines the module, wrapped so it runs
 * on this first call.
 */
function membershipEventsModule() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return require('./adapters/kafka-membership-events') as typeof import('./adapters/kafka-membership-events');
  /* eslint-enable @typescript-eslint/no-require-imports */
}
