import { DEFAULT_LIMITS } from '@realchat/domain';
import type { CallContext } from '@realchat/platform';
import { DeleteMessage } from '../../src/app/delete-message';
import { EditMessage } from '../../src/app/edit-message';
import { ReadHistory } from '../../src/app/read-history';
import { SendMessage } from '../../src/app/send-message';
import { SyncMessages } from '../../src/app/sync-messages';
import { protoMessageEvents } from '../../src/grpc/message-events';
import { FakeDirectory } from './fake-directory';
import { InMemoryMessages } from './in-memory-messages';

/** The use cases over in-memory fakes, wired like main.ts wires the real adapters. */
export function useCasesInMemory() {
  const store = new InMemoryMessages();
  const directory = new FakeDirectory((c) => store.isLocked(c));
  return {
    store,
    directory,
    send: new SendMessage(store, directory, protoMessageEvents, DEFAULT_LIMITS),
    delete: new DeleteMessage(store, directory, protoMessageEvents),
    sync: new SyncMessages(store, directory),
    history: new ReadHistory(store, directory),
    edit: new EditMessage(store, directory, protoMessageEvents, DEFAULT_LIMITS),
  };
}

export const as = (userId: string): CallContext => ({ userId });
