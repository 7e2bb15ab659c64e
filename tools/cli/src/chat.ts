/**
 * Try the API from a terminal (generated gRPC clients):
 *   npm run chat -- send <conversation> <user> <text...>
 *   npm run chat -- sync <conversation> <user> [after_sequence] [page_size]
 *   npm run chat -- history <conversation> <user> [before_sequence] [page_size]
 *                                                    (newest first; 0 = from the newest)
 *   npm run chat -- edit <conversation> <user> <message_id> [--expect <version>] <text...>
 *   npm run chat -- delete <conversation> <user> <message_id> [--hard]
 *   npm run chat -- create <user> <user>...          (first user becomes ADMIN of a group)
 *   npm run chat -- watch                            (prints events from Kafka)
 */
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { errorInfoOf, fieldViolationsOf } from '@realchat/platform';
import {
  DeletionMode,
  EventEnvelope,
  EventType,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageSentEvent,
} from '@realchat/proto';
import { ConversationApi, MessageApi } from '@realchat/testing';
import { Kafka, logLevel } from 'kafkajs';

const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

async function main([command, ...args]: string[]): Promise<void> {
  const messages = new MessageApi(process.env.MESSAGE_API_ADDR ?? '127.0.0.1:50051');
  const conversations = new ConversationApi(process.env.CONVERSATION_API_ADDR ?? '127.0.0.1:50052');
  try {
    switch (command) {
      case 'send': {
        const [conversationId, user, ...words] = args;
        const res = await messages.send(user, {
          conversationId,
          senderUserId: user,
          idempotencyKey: randomUUID(),
          content: words.join(' '),
        });
        return print(res.message);
      }
      case 'sync': {
        const [conversationId, user, after = '0', size = '0'] = args;
        return print(
          await messages.sync(user, {
            conversationId,
            afterSequence: Number(after),
            pageSize: Number(size),
          }),
        );
      }
      case 'history': {
        const [conversationId, user, before = '0', size = '0'] = args;
        return print(
          await messages.history(user, {
            conversationId,
            beforeSequence: Number(before),
            pageSize: Number(size),
          }),
        );
      }
      case 'edit': {
        const [conversationId, user, messageId, ...rest] = args;
        const expect = rest[0] === '--expect' ? Number(rest[1]) : 0;
        const words = rest[0] === '--expect' ? rest.slice(2) : rest;
        const res = await messages.edit(user, {
          conversationId,
          messageId,
          editorUserId: user,
          content: words.join(' '),
          expectedVersion: expect,
        });
        return print(res.message);
      }
      case 'delete': {
        const [conversationId, user, messageId, flag] = args;
        const mode =
          flag === '--hard' ? DeletionMode.DELETION_MODE_HARD : DeletionMode.DELETION_MODE_SOFT;
        return print(
          await messages.delete(user, { conversationId, actorUserId: user, messageId, mode }),
        );
      }
      case 'create':
        return print((await conversations.create(args, '', '')).conversation);
      case 'watch':
        return watch();
      default:
        process.stderr.write(
          'usage: npm run chat -- send|sync|history|edit|delete|create|watch ... (see tools/cli/src/chat.ts)\n',
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
            : env.eventType === EventType.EVENT_TYPE_MESSAGE_EDITED
              ? MessageEditedEvent.decode(env.payload)
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
  const err = e as { code?: number; details?: string; metadata?: Metadata };
  process.stderr.write(`chat: ${err.details ?? (e as Error).message}\n`);
  for (const v of fieldViolationsOf(err.metadata))
    process.stderr.write(`  ${v.field}: ${v.description}\n`);
  const info = errorInfoOf(err.metadata);
  if (info)
    process.stderr.write(
      `  ${info.reason}: ${Object.entries(info.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}\n`,
    );
  process.exitCode = 1;
});
