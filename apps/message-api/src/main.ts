/**
 * message-api composition root: configuration, wiring, start, graceful stop.
 * Nothing else reads process.env.
 */
import { Database } from '@realchat/persistence';
import { MessageStore } from '@realchat/persistence/messages';
import { createLogger, runService, startGrpcServer, stopGrpcServer } from '@realchat/platform';
import { MessageApiService } from '@realchat/proto';
import { ConversationApiDirectory } from './adapters/conversation-api-client';
import { DeleteMessage } from './app/delete-message';
import { SendMessage } from './app/send-message';
import { SyncMessages } from './app/sync-messages';
import { loadMessageApiConfig } from './config';
import { messageApiHandlers } from './grpc/message-api-handlers';

runService('message-api', async () => {
  const config = loadMessageApiConfig(process.env);
  const logger = createLogger('message-api', config.LOG_LEVEL);

  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const store = new MessageStore(db, config.WRITE_TX_TIMEOUT_MS);
  const conversations = new ConversationApiDirectory({
    address: config.CONVERSATION_API_ADDR,
    membersCacheTtlMs: config.MEMBERS_CACHE_TTL_MS,
    defaultTimeoutMs: config.CONVERSATION_API_TIMEOUT_MS,
  });
  const limits = {
    maxContentBytes: config.MAX_CONTENT_BYTES,
    maxMetadataBytes: config.MAX_METADATA_BYTES,
  };
  const handlers = messageApiHandlers(
    {
      send: new SendMessage(store, conversations, limits),
      delete: new DeleteMessage(store, conversations),
      sync: new SyncMessages(store, conversations),
    },
    logger,
  );

  const { server, port } = await startGrpcServer(
    MessageApiService,
    handlers,
    config.MESSAGE_API_HOST,
    config.MESSAGE_API_PORT,
  );
  logger.info(
    {
      address: `${config.MESSAGE_API_HOST}:${port}`,
      conversationApi: config.CONVERSATION_API_ADDR,
      poolSize: config.DATABASE_POOL_SIZE,
    },
    'message-api serving realchat.message.v1.MessageApi',
  );

  return {
    logger,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    drain: () => stopGrpcServer(server, config.SHUTDOWN_GRACE_MS),
    close: async () => {
      conversations.close();
      await db.close();
    },
  };
});
