import { credentials, Metadata, Server, ServiceError, status } from '@grpc/grpc-js';
import { Message as DomainMessage, validateSend } from '@realchat/domain';
import { unwrapEvent } from '@realchat/persistence/outbox';
import { createLogger } from '@realchat/platform';
import {
  MessageApiClient,
  MessageSentEvent,
  SendMessageRequest,
  SendMessageResponse,
} from '@realchat/proto';
import { DeleteMessage } from '../src/app/delete-message';
import { SendMessage } from '../src/app/send-message';
import { EditMessage } from '../src/app/edit-message';
import { ReadHistory } from '../src/app/read-history';
import { SyncMessages } from '../src/app/sync-messages';
import { loadMessageApiConfig } from '../src/config';
import { startMessageApiServer } from '../src/grpc/message-api-server';
import { protoMessageEvents } from '../src/grpc/message-events';
import { toProtoMessage } from '../src/grpc/message-proto';
import { FakeDirectory } from './fakes/fake-directory';
import { InMemoryMessages } from './fakes/in-memory-messages';

/**
 * message-api's gRPC server in process, on port 0, over in-memory ports, configured with the
 * largest content and metadata limits the configuration allows.
 */
describe('message-api gRPC server', () => {
  const config = loadMessageApiConfig({
    DATABASE_URL: 'postgresql://unused/db',
    MAX_CONTENT_BYTES: String(1024 * 1024),
    MAX_METADATA_BYTES: String(64 * 1024),
  });
  const limits = {
    maxContentBytes: config.MAX_CONTENT_BYTES,
    maxMetadataBytes: config.MAX_METADATA_BYTES,
  };
  const store = new InMemoryMessages();
  const directory = new FakeDirectory();
  directory.add('c-big', { alice: 'member' });
  let server: Server;
  let client: MessageApiClient;

  beforeAll(async () => {
    const started = await startMessageApiServer(
      {
        send: new SendMessage(store, directory, protoMessageEvents, limits),
        delete: new DeleteMessage(store, directory, protoMessageEvents),
        sync: new SyncMessages(store, directory),
        history: new ReadHistory(store, directory),
        edit: new EditMessage(store, directory, protoMessageEvents, limits),
      },
      { host: '127.0.0.1', port: 0, limits, logger: createLogger('test', 'silent') },
    );
    server = started.server;
    client = new MessageApiClient(`127.0.0.1:${started.port}`, credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const send = (req: Partial<SendMessageRequest>, user?: string) =>
    new Promise<SendMessageResponse>((resolve, reject) => {
      const md = new Metadata();
      if (user) md.set('x-user-id', user);
      client.sendMessage(
        SendMessageRequest.fromPartial({ conversationId: 'c-big', senderUserId: 'alice', ...req }),
        md,
        { deadline: new Date(Date.now() + 10_000) },
        (e: ServiceError | null, r: SendMessageResponse) => (e ? reject(e) : resolve(r)),
      );
    });

  it('accepts content and metadata of exactly their configured maximum sizes', async () => {
    const content = 'x'.repeat(limits.maxContentBytes);
    const prefix = '{"k":"';
    const metadataJson = `${prefix}${'y'.repeat(limits.maxMetadataBytes - prefix.length - 2)}"}`;
    expect(Buffer.byteLength(metadataJson)).toBe(limits.maxMetadataBytes);
    const res = await send({ content, metadataJson }, 'alice');
    expect(res.message?.content.length).toBe(limits.maxContentBytes);
    expect(res.message?.metadataJson).toBe(metadataJson);
  });

  it('refuses content one byte over the maximum as INVALID_ARGUMENT, not RESOURCE_EXHAUSTED', async () => {
    await expect(
      send({ content: 'x'.repeat(limits.maxContentBytes + 1) }, 'alice'),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('answers UNAUTHENTICATED without x-user-id', async () => {
    await expect(send({ content: 'hi' })).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('answers with the message its MESSAGE_SENT event carries', async () => {
    const res = await send({ content: 'hello' }, 'alice');
    const last = store.events.at(-1)!;
    const published = MessageSentEvent.decode(unwrapEvent(last.payload).payload).message;
    expect(published).toEqual(res.message);
  });
});

describe('toProtoMessage', () => {
  it('reuses the mapping made for the event of the same send', () => {
    const draft = validateSend(
      {
        conversationId: 'c',
        senderUserId: 'alice',
        idempotencyKey: '',
        messageType: '',
        content: 'hi',
        metadataJson: '',
      },
      { maxContentBytes: 10, maxMetadataBytes: 10 },
    );
    const view = DomainMessage.create(draft, 'id', 1, new Date()).view();
    protoMessageEvents.messageSent(view);
    expect(toProtoMessage(view)).toBe(toProtoMessage(view));
    const other = DomainMessage.create(draft, 'id2', 2, new Date()).view();
    expect(toProtoMessage(other)).not.toBe(toProtoMessage(other));
  });
});
