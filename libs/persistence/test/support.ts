import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS, Message, validateSend } from '@realchat/domain';
import path from 'node:path';
import { Database } from '../src';
import { createScratchDatabase } from '../src/testing';

let scratchUrl: Promise<string> | undefined;

/**
 * A database of this test file's own (created and migrated on first use), so that test rows
 * never reach the outbox of the development database, where a running relay would publish them.
 */
export async function testDatabase(poolSize = 10): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (globalSetup)');
  scratchUrl ??= createScratchDatabase(
    url,
    'persistence_test',
    path.resolve(__dirname, '../../../prisma/migrations'),
  );
  return new Database({ url: await scratchUrl, poolSize });
}

/** A unique id, so that tests never collide and need no truncation. */
export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 13)}`;

export function newMessage(
  conversationId: string,
  sequence: number,
  content = 'hi',
  key = '',
): Message {
  const draft = validateSend(
    {
      conversationId,
      senderUserId: 'alice',
      idempotencyKey: key,
      messageType: '',
      content,
      metadataJson: '',
    },
    DEFAULT_LIMITS,
  );
  return Message.create(draft, randomUUID(), sequence, new Date());
}
