/**
 * Creates the demo conversation (alice and bob) in the conversation-stub, once:
 *   npm run seed
 */
import { status } from '@grpc/grpc-js';
import { ConversationApi } from '@realchat/testing';

const DEMO = { conversationId: 'demo', users: ['alice', 'bob'] };

async function main(): Promise<void> {
  const conversations = new ConversationApi(process.env.CONVERSATION_API_ADDR ?? '127.0.0.1:50052');
  try {
    await conversations.create(DEMO.users, DEMO.conversationId, 'Demo');
  } catch (e) {
    if ((e as { code?: number }).code !== status.ALREADY_EXISTS) throw e;
  } finally {
    conversations.close();
  }
  process.stdout.write(
    `demo conversation: ${DEMO.conversationId}  users: ${DEMO.users.join(', ')} (${DEMO.users[0]} is ADMIN)\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`seed: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
