import './tracing'; // first: OpenTelemetry must hook require before grpc-js and pg load
/**
 * message-api composition root: configuration, wiring, start, graceful stop.
 * Nothing else reads process.env.
 */
import { Database } from '@realchat/persistence';
import { MessageStore } from '@realchat/persistence/messages';
import { createLogger, runService, stopGrpcServer } from '@realchat/platform';
import { ConversationApiDirectory } from './adapters/conversation-api-client';
import { DeleteMessage } from './app/delete-message';
import type { ConversationDirectory, ConversationWrites, SyncPages } from './app/ports';
import { SendMessage } from './app/send-message';
import { SyncMessages } from './app/sync-messages';
import { loadMessageApiConfig } from './config';
import { startMessageApiServer } from './grpc/message-api-server';
import { protoMessageEvents } from './grpc/message-events';

runService('message-api', async () => {
  const config = loadMessageApiConfig(process.env);
  const logger = createLogger('message-api', config.LOG_LEVEL);

  const db = new Database({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  // The adapters, assigned to the ports the use cases take.
  const messages: ConversationWrites & SyncPages = new MessageStore(db, config.WRITE_TX_TIMEOUT_MS);
  const directory = new ConversationApiDirectory({
    address: config.CONVERSATION_API_ADDR,
    membersCacheTtlMs: config.MEMBERS_CACHE_TTL_MS,
    defaultTimeoutMs: config.CONVERSATION_API_TIMEOUT_MS,
  });
  const conversations: ConversationDirectory = directory;
  const limits = {
    maxContentBytes: config.MAX_CONTENT_BYTES,
    maxMetadataBytes: config.MAX_METADATA_BYTES,
  };

  const { server, port } = await startMessageApiServer(
    {
      send: new SendMessage(messages, conversations, protoMessageEvents, limits),
      delete: new DeleteMessage(messages, conversations, protoMessageEvents),
      sync: new SyncMessages(messages, conversations),
    },
    { host: config.MESSAGE_API_HOST, port: config.MESSAGE_API_PORT, limits, logger },
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
      directory.close();
      await db.close();
    },
  };
});
