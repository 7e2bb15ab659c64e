import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';
import {
  ConversationApiClient,
  ConversationType,
  CreateConversationResponse,
  DeleteMessageRequest,
  DeleteMessageResponse,
  DeletionMode,
  EditMessageRequest,
  EditMessageResponse,
  GetConversationResponse,
  MessageApiClient,
  ParticipantRole,
  ReadHistoryRequest,
  ReadHistoryResponse,
  SendMessageRequest,
  SendMessageResponse,
  SyncMessagesRequest,
  SyncMessagesResponse,
} from '@realchat/proto';

type Callback<Res> = (e: ServiceError | null, r: Res) => void;

function call<Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline: Date }, cb: Callback<Res>) => unknown,
  req: Req,
  userId: string | null,
  extra: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<Res> {
  const md = new Metadata();
  if (userId !== null) md.set('x-user-id', userId);
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  return new Promise((resolve, reject) =>
    fn(req, md, { deadline: new Date(Date.now() + timeoutMs) }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

/** The generated MessageApi client with the acting user as `x-user-id` (null: none sent). */
export class MessageApi {
  readonly client: MessageApiClient;
  /** Plaintext unless `creds` says otherwise (e.g. TLS with a client certificate). */
  constructor(
    address: string,
    creds: ChannelCredentials = credentials.createInsecure(),
    options: ChannelOptions = {},
  ) {
    this.client = new MessageApiClient(address, creds, options);
  }

  /** `metadata`: extra gRPC metadata, e.g. a W3C `traceparent`. */
  send(
    userId: string | null,
    req: Partial<SendMessageRequest>,
    metadata: Record<string, string> = {},
  ): Promise<SendMessageResponse> {
    return call(
      (r, m, o, cb) => this.client.sendMessage(r, m, o, cb),
      SendMessageRequest.fromPartial({ messageType: 'text', ...req }),
      userId,
      metadata,
    );
  }

  delete(
    userId: string | null,
    req: Partial<DeleteMessageRequest>,
  ): Promise<DeleteMessageResponse> {
    return call(
      (r, m, o, cb) => this.client.deleteMessage(r, m, o, cb),
      DeleteMessageRequest.fromPartial(req),
      userId,
    );
  }

  sync(
    userId: string | null,
    req: Partial<SyncMessagesRequest>,
    metadata: Record<string, string> = {},
  ): Promise<SyncMessagesResponse> {
    return call(
      (r, m, o, cb) => this.client.syncMessages(r, m, o, cb),
      SyncMessagesRequest.fromPartial(req),
      userId,
      metadata,
    );
  }

  edit(userId: string | null, req: Partial<EditMessageRequest>): Promise<EditMessageResponse> {
    return call(
      (r, m, o, cb) => this.client.editMessage(r, m, o, cb),
      EditMessageRequest.fromPartial(req),
      userId,
    );
  }

  history(userId: string | null, req: Partial<ReadHistoryRequest>): Promise<ReadHistoryResponse> {
    return call(
      (r, m, o, cb) => this.client.readHistory(r, m, o, cb),
      ReadHistoryRequest.fromPartial(req),
      userId,
    );
  }

  close(): void {
    this.client.close();
  }
}

export { DeletionMode };

/** The generated ConversationApi client. */
export class ConversationApi {
  readonly client: ConversationApiClient;
  /** Plaintext unless `creds` says otherwise (e.g. TLS with a client certificate). */
  constructor(
    address: string,
    creds: ChannelCredentials = credentials.createInsecure(),
    options: ChannelOptions = {},
  ) {
    this.client = new ConversationApiClient(address, creds, options);
  }

  /** A group conversation; the first user is its ADMIN. `metadata`: e.g. `authorization`. */
  create(
    users: string[],
    conversationId = '',
    displayName = 'test',
    metadata: Record<string, string> = {},
  ): Promise<CreateConversationResponse> {
    return call(
      (r, m, o, cb) => this.client.createConversation(r, m, o, cb),
      {
        conversationId,
        type: ConversationType.GROUP,
        displayName,
        avatarUrl: '',
        participantUserIds: users,
      },
      null,
      metadata,
    );
  }

  get(conversationId: string): Promise<GetConversationResponse> {
    return call(
      (r, m, o, cb) => this.client.getConversation(r, m, o, cb),
      { conversationId },
      null,
      {},
    );
  }

  /** Adds `targetUserId` (MEMBER unless `role` says otherwise), as `actorUserId`. */
  addParticipant(
    conversationId: string,
    actorUserId: string,
    targetUserId: string,
    role = ParticipantRole.MEMBER,
  ): Promise<unknown> {
    return call(
      (r, m, o, cb) => this.client.addParticipant(r, m, o, cb),
      { conversationId, actorUserId, targetUserId, role },
      null,
      {},
    );
  }

  removeParticipant(
    conversationId: string,
    actorUserId: string,
    targetUserId: string,
    metadata: Record<string, string> = {},
  ): Promise<unknown> {
    return call(
      (r, m, o, cb) => this.client.removeParticipant(r, m, o, cb),
      { conversationId, actorUserId, targetUserId },
      null,
      metadata,
    );
  }

  close(): void {
    this.client.close();
  }
}
