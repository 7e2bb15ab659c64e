import { messageStoreContract } from './contract/message-store.contract';
import { InMemoryMessages } from './fakes/in-memory-messages';

messageStoreContract('InMemoryMessages', async () => ({
  store: new InMemoryMessages(),
  close: async () => undefined,
}));
