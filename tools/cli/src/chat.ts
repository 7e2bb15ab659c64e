/**
 * Try the API from a terminal (generated gRPC clients):
 *   npm run chat -- send <conversation> <user> <text...>
 *   npm run chat -- sync <conversation> <user> [after_sequence] [page_size]
 *   npm run chat -- delete <conversation> <user> <message_id> [--hard]
 *   npm run chat -- create <user> <user>...          (first user becomes ADMIN of a group)
 *   npm run chat -- watch                            (prints events from Kafka)
 */
import { randomUUID } from 'node:crypto';
import { fieldViolationsOf } from '@realchat/platform';
import {
  ConversationType,
  CreateConversationRequest,
  CreateConversationResponse,
  DeleteMessageRequest,
  DeleteMessageResponse,
  DeletionMode,
  EventEnvelope,
  EventType,
  MessageDeletedEvent,
  MessageSentEvent,
  SendMessageRequest,
  SendMessageResponse,
  SyncMessagesRequest,
  SyncMessagesResponse,
} from '@realchat/proto';
import { Kafka, logLevel } from 'kafkajs';
import { as, clients, unary } from './clients';

const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

async function main([command, ...args]: string[]): Promise<void> {
  const { messages, conversations } = clients();
  try {
    switch (command) {
      case 'send': {
        const [conversationId, user, ...words] = args;
        const res = await unary<SendMessageRequest, SendMessageResponse>(
          (r, m, o, cb) => messages.sendMessage(r, m, o, cb),
          {
            conversationId,
            senderUserId: user,
            idempotencyKey: randomUUID(),
            messageType: 'text',
            content: words.join(' '),
            metadataJson: '',
          },
          as(user),
        );
        return print(res.message);
      }
      case 'sync': {
        const [conversationId, user, after = '0', size = '0'] = args;
        const res = await unary<SyncMessagesRequest, SyncMessagesResponse>(
          (r, m, o, cb) => messages.syncMessages(r, m, o, cb),
          { conversationId, afterSequence: Number(after), pageSize: Number(size) },
          as(user),
        );
        return print(res);
      }
      case 'delete': {
        const [conversationId, user, messageId, flag] = args;
        const res = await unary<DeleteMessageRequest, DeleteMessageResponse>(
          (r, m, o, cb) => messages.deleteMessage(r, m, o, cb),
          {
            conversationId,
            actorUserId: user,
            messageId,
            mode:
              flag === '--hard' ? DeletionMode.DELETION_MODE_HARD : DeletionMode.DELETION_MODE_SOFT,
          },
          as(user),
        );
        return print(res);
      }
      case 'create': {
        const res = await unary<CreateConversationRequest, CreateConversationResponse>(
          (r, m, o, cb) => conversations.createConversation(r, m, o, cb),
          {
            conversationId: '',
            type: ConversationType.GROUP,
            displayName: '',
            avatarUrl: '',
            participantUserIds: args,
          },
        );
        return print(res.conversation);
      }
      case 'watch':
        return watch();
      default:
        process.stderr.write(
          'usage: npm run chat -- send|sync|delete|create|watch ... (see tools/cli/src/chat.ts)\n',
        );
        process.exitCode = 2;
    }
  } finally {
    messages.close();
    conversations.close();
  }
}

async function watch(): Promise<void> {
  const kafka = new Kafka({
    clientId: 'realchat-cli',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `realchat-cli-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({
    topic: process.env.KAFKA_TOPIC ?? 'chat.messages.v1',
    fromBeginning: false,
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const env = EventEnvelope.decode(message.value!);
      const payload =
        env.eventType === EventType.EVENT_TYPE_MESSAGE_SENT
          ? MessageSentEvent.decode(env.payload)
          : env.eventType === EventType.EVENT_TYPE_MESSAGE_DELETED
            ? MessageDeletedEvent.decode(env.payload)
            : env.payload.toString('base64');
      print({
        key: message.key?.toString(),
        eventId: message.headers?.['event-id']?.toString(),
        type: EventType[env.eventType],
        payload,
      });
    },
  });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as { code?: number; details?: string; metadata?: import('@grpc/grpc-js').Metadata };
  process.stderr.write(`chat: ${err.details ?? (e as Error).message}\n`);
  for (const v of fieldViolationsOf(err.metadata))
    process.stderr.write(`  ${v.field}: ${v.description}\n`);
  process.exitCode = 1;
});
