import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS, Message, validateSend } from '@realchat/domain';
import { Database } from '../src';

/** The test database (set up by the jest globalSetup). */
export function testDatabase(poolSize = 10): Database {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (globalSetup)');
  return new Database({ url, poolSize });
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
