import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/**
 * message-api composition root: configuration, wiring, start, graceful stop.
 * Nothing else reads process.env.
 */
import { Database } from '@realchat/persistence';
import { MessageStore } from '@realchat/persistence/messages';
import {
  createLogger,
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
} from '@realchat/platform';
import { MessageApiService } from '@realchat/proto';
import { ConversationApiDirectory } from './adapters/conversation-api-client';
import { DeleteMessage } from './app/delete-message';
import type { ConversationDirectory, ConversationWrites, SyncPages } from './app/ports';
import { SendMessage } from './app/send-message';
import { SyncMessages } from './app/sync-messages';
import { conversationApiTlsOf, loadMessageApiConfig } from './config';
import { startMessageApiServer } from './grpc/message-api-server';
import { protoMessageEvents } from './grpc/message-events';
import { MessageApiMetrics } from './metrics';

runService('message-api', async () => {
  const config = loadMessageApiConfig(process.env);
  const logger = createLogger('message-api', config.LOG_LEVEL);
  const registry = createMetricsRegistry();
  const metrics = new MessageApiMetrics(registry);

  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  observeDbPool(registry, db.pool);
  // The adapters, assigned to the ports the use cases take.
  const messages: ConversationWrites & SyncPages = new MessageStore(
    db,
    config.WRITE_TX_TIMEOUT_MS,
    { lockWaitSeconds: metrics.lockWaitSeconds },
  );
  const directory = new ConversationApiDirectory({
    address: config.CONVERSATION_API_ADDR,
    tls: conversationApiTlsOf(config),
    membersCacheTtlMs: config.MEMBERS_CACHE_TTL_MS,
    defaultTimeoutMs: config.CONVERSATION_API_TIMEOUT_MS,
    observer: metrics.conversationApiObserver,
  });
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
      send: new SendMessage(messages, conversations, protoMessageEvents, limits),
      delete: new DeleteMessage(messages, conversations, protoMessageEvents),
      sync: new SyncMessages(messages, conversations),
    },
    {
      host: config.MESSAGE_API_HOST,
      port: config.MESSAGE_API_PORT,
      limits,
      logger,
      health,
      reflection: config.GRPC_REFLECTION,
      metrics: new GrpcServerMetrics(registry),
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
      ready: health.readiness().ready,
      reflection: config.GRPC_REFLECTION,
    },
    'message-api serving realchat.message.v1.MessageApi',
  );

  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: () => stopGrpcServer(server, config.SHUTDOWN_GRACE_MS, health),
    close: async () => {
      directory.close();
      await http.close();
      await db.close();
    },
  };
});
