/**
 * Creates the demo conversation (alice and bob) in the conversation-stub, once:
 *   npm run seed
 */
import { status } from '@grpc/grpc-js';
import {
  ConversationType,
  CreateConversationRequest,
  CreateConversationResponse,
} from '@realchat/proto';
import { clients, unary } from './clients';

const DEMO = { conversationId: 'demo', users: ['alice', 'bob'] };

async function main(): Promise<void> {
  const { conversations } = clients();
  try {
    await unary<CreateConversationRequest, CreateConversationResponse>(
      (r, m, o, cb) => conversations.createConversation(r, m, o, cb),
      {
        conversationId: DEMO.conversationId,
        type: ConversationType.GROUP,
        displayName: 'Demo',
        avatarUrl: '',
        participantUserIds: DEMO.users,
      },
    );
  } catch (e) {
    if ((e as { code?: number }).code !== status.ALREADY_EXISTS) throw e;
  }
  process.stdout.write(
    `demo conversation: ${DEMO.conversationId}  users: ${DEMO.users.join(', ')} (${DEMO.users[0]} is ADMIN)\n`,
  );
  conversations.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`seed: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
