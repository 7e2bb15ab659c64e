import { credentials, Metadata, Server, ServiceError, status } from '@grpc/grpc-js';
import { Database } from '@realchat/persistence';
import { ConversationStore } from '@realchat/persistence/conversations';
import { createLogger, fieldViolationsOf, startGrpcServer } from '@realchat/platform';
import {
  ConversationApiClient,
  ConversationApiService,
  ConversationType,
  ParticipantRole,
} from '@realchat/proto';
import { randomUUID } from 'node:crypto';
import { Conversations } from '../src/app/conversations';
import { conversationApiHandlers } from '../src/grpc/conversation-api-handlers';

let db: Database;
let server: Server;
let client: ConversationApiClient;

beforeAll(async () => {
  db = new Database({ url: process.env.DATABASE_URL!, poolSize: 5 });
  const handlers = conversationApiHandlers(
    new Conversations(new ConversationStore(db)),
    createLogger('test', 'silent'),
  );
  const started = await startGrpcServer(ConversationApiService, handlers, '127.0.0.1', 0);
  server = started.server;
  client = new ConversationApiClient(`127.0.0.1:${started.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  server.forceShutdown();
  await db.close();
});

function rpc<Req, Res>(method: keyof ConversationApiClient, req: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    (
      client[method] as (r: Req, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void
    ).call(client, req, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))),
  );
}

const id = () => `c-${randomUUID()}`;

describe('conversation-stub ConversationApi', () => {
  it('creates a group with the first user as ADMIN and reads it back', async () => {
    const c = id();
    await rpc('createConversation', {
      conversationId: c,
      type: ConversationType.GROUP,
      displayName: 'g',
      avatarUrl: '',
      participantUserIds: ['ann', 'ben'],
    });
    const got = await rpc<
      unknown,
      { conversation: { participantsWithRoles: unknown[] }; participantUserIds: string[] }
    >('getConversation', { conversationId: c });
    expect(got.participantUserIds).toEqual(['ann', 'ben']);
    expect(got.conversation.participantsWithRoles).toEqual([
      { userId: 'ann', role: ParticipantRole.ADMIN },
      { userId: 'ben', role: ParticipantRole.MEMBER },
    ]);
    const listed = await rpc<unknown, { conversations: { conversationId: string }[] }>(
      'listConversations',
      { userId: 'ben' },
    );
    expect(listed.conversations.map((x) => x.conversationId)).toContain(c);
  });

  it('refuses a NUL character in display_name and avatar_url as INVALID_ARGUMENT, not INTERNAL', async () => {
    for (const bad of [{ displayName: 'a\u0000b' }, { avatarUrl: 'https://x/\u0000' }]) {
      await expect(
        rpc('createConversation', {
          conversationId: id(),
          type: ConversationType.GROUP,
          participantUserIds: ['ann', 'ben'],
          displayName: '',
          avatarUrl: '',
          ...bad,
        }),
      ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
  });

  it('lets only ADMINs add participants and anyone leave', async () => {
    const c = id();
    await rpc('createConversation', {
      conversationId: c,
      type: ConversationType.GROUP,
      participantUserIds: ['ann', 'ben'],
      displayName: '',
      avatarUrl: '',
    });
    await expect(
      rpc('addParticipant', {
        conversationId: c,
        actorUserId: 'ben',
        targetUserId: 'cid',
        role: ParticipantRole.MEMBER,
      }),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await rpc('addParticipant', {
      conversationId: c,
      actorUserId: 'ann',
      targetUserId: 'cid',
      role: ParticipantRole.ADMIN,
    });
    await rpc('removeParticipant', { conversationId: c, actorUserId: 'ben', targetUserId: 'ben' });
    const got = await rpc<unknown, { participantUserIds: string[] }>('getConversation', {
      conversationId: c,
    });
    expect(got.participantUserIds).toEqual(['ann', 'cid']);
  });

  it('hands out increasing sequence numbers, NOT_FOUND for unknown conversations', async () => {
    const c = id();
    await rpc('createConversation', {
      conversationId: c,
      type: ConversationType.DIRECT,
      participantUserIds: ['ann', 'ben'],
      displayName: '',
      avatarUrl: '',
    });
    type Range = { sequence: number; firstSequence: number };
    const next = (count: number, conversationId = c) =>
      rpc<unknown, Range>('nextSequence', { conversationId, count });
    const a = await next(0);
    const b = await next(1);
    expect([a, b]).toEqual([
      { sequence: 1, firstSequence: 1 },
      { sequence: 2, firstSequence: 2 },
    ]);
    expect(await next(5)).toEqual({ sequence: 7, firstSequence: 3 }); // one call, one range
    for (const bad of [-1, 1001]) {
      await expect(next(bad)).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining('count'),
      });
    }
    expect(await next(0)).toEqual({ sequence: 8, firstSequence: 8 }); // refused calls took none
    await expect(next(0, id())).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('rejects bad input with field violations', async () => {
    const err = (await rpc('createConversation', {
      conversationId: 'bad id',
      type: ConversationType.DIRECT,
      participantUserIds: ['ann'],
      displayName: '',
      avatarUrl: '',
    }).catch((e) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(err.metadata).map((v) => v.field)).toEqual([
      'conversation_id',
      'participant_user_ids',
    ]);
  });

  it('refuses a second conversation with the same id', async () => {
    const c = id();
    const req = {
      conversationId: c,
      type: ConversationType.GROUP,
      participantUserIds: ['ann'],
      displayName: '',
      avatarUrl: '',
    };
    await rpc('createConversation', req);
    await expect(rpc('createConversation', req)).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
  });
});
