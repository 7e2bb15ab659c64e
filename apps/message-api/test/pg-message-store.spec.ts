import path from 'node:path';
import { Database } from '@realchat/persistence';
import { MessageStore } from '@realchat/persistence/messages';
import { createScratchDatabase } from '@realchat/persistence/testing';
import type { ConversationWrites, SyncPages } from '../src/app/ports';
import { messageStoreContract } from './contract/message-store.contract';

/** The message store contract against real PostgreSQL, in a scratch database of its own. */
messageStoreContract('MessageStore (PostgreSQL)', async () => {
  const url = await createScratchDatabase(
    process.env.DATABASE_URL!,
    'msgapi_contract',
    path.resolve(__dirname, '../../../prisma/migrations'),
  );
  const db = new Database({ url, poolSize: 5 });
  const store: ConversationWrites & SyncPages = new MessageStore(db);
  return { store, close: () => db.close() };
});
