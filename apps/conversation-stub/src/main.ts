import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/** conversation-stub composition root: a durable stand-in for RealChat's Conversation API. */
import { Database } from '@realchat/persistence';
import { ConversationStore } from '@realchat/persistence/conversations';
import { createLogger, runService, startGrpcServer, stopGrpcServer } from '@realchat/platform';
import { ConversationApiService } from '@realchat/proto';
import { Conversations } from './app/conversations';
import { loadConversationStubConfig } from './config';
import { conversationApiHandlers } from './grpc/conversation-api-handlers';

runService('conversation-stub', async () => {
  const config = loadConversationStubConfig(process.env);
  const logger = createLogger('conversation-stub', config.LOG_LEVEL);
  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const handlers = conversationApiHandlers(new Conversations(new ConversationStore(db)), logger);
  const { server, port } = await startGrpcServer(
    ConversationApiService,
    handlers,
    config.CONVERSATION_STUB_HOST,
    config.CONVERSATION_STUB_PORT,
  );
  logger.info(
    { address: `${config.CONVERSATION_STUB_HOST}:${port}` },
    'conversation-stub serving realchat.conversation.v1.ConversationApi',
  );
  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: () => stopGrpcServer(server, config.SHUTDOWN_GRACE_MS),
    close: () => db.close(),
  };
});
