import { randomUUID } from 'node:crypto';
import http2, { ClientHttp2Session } from 'node:http2';
import { failure, freshDatabase, MessageApi, Stack, status } from '@realchat/testing';

const RATE = 5;
const BURST = 10;
const MAX_STREAMS = 16;
const IDLE_MS = 2000;

/**
 * Abuse limits on the built message-api (docs/security.md): a per-sender token bucket on
 * SendMessage, and what one client connection may hold. One user flooding from many connections
 * does not keep another user from sending.
 */
describe('security: abuse limits (built apps)', () => {
  let stack: Stack;
  let address: string;
  const sessions: ClientHttp2Session[] = [];

  beforeAll(async () => {
    const databaseUrl = await freshDatabase('e2e_security_limits');
    stack = await Stack.start({
      databaseUrl,
      env: {
        SEND_RATE_PER_SECOND: String(RATE),
        SEND_RATE_BURST: String(BURST),
        GRPC_MAX_CONCURRENT_STREAMS: String(MAX_STREAMS),
        GRPC_MAX_CONNECTION_IDLE_MS: String(IDLE_MS),
      },
    });
    address = `127.0.0.1:${stack.apis[0].port()}`;
  });

  afterAll(async () => {
    for (const s of sessions) s.destroy();
    await stack?.stop();
  });

  /** A raw HTTP/2 connection to message-api (no gRPC client in between). */
  const connect = async (): Promise<ClientHttp2Session> => {
    const session = http2.connect(`http://${address}`);
    session.on('error', () => undefined); // GOAWAY and resets are expected here
    sessions.push(session);
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    return session;
  };

  it('warns at start that trusted-header runs without mTLS', () => {
    for (const p of [stack.conversationStub, ...stack.apis]) {
      expect(p.logs()).toContainEqual(
        expect.objectContaining({ level: 'warn', authMode: 'trusted-header', mtls: false }),
      );
    }
  });

  it('refuses conversation-stub admin operations whose x-user-id is not the actor', async () => {
    const [alice, mallory] = [`alice-${randomUUID()}`, `mallory-${randomUUID()}`];
    const stub = stack.conversationApi();
    const forged = await failure(stub.create([alice, mallory], '', 't', { 'x-user-id': mallory }));
    expect(status[forged.code]).toBe('PERMISSION_DENIED');
    const { conversation } = await stub.create([alice, mallory], '', 't', { 'x-user-id': alice });
    const c = conversation!.conversationId;
    const removal = await failure(
      stub.removeParticipant(c, alice, mallory, { 'x-user-id': mallory }),
    );
    expect(status[removal.code]).toBe('PERMISSION_DENIED');
    // Without x-user-id the request's actor is taken at its word, as before (trusted gateway).
    await stub.removeParticipant(c, alice, mallory);
  });

  it('limits a flooding sender with RESOURCE_EXHAUSTED and RetryInfo, while another user sends', async () => {
    const [alice, mallory] = [`alice-${randomUUID()}`, `mallory-${randomUUID()}`];
    const { conversation } = await stack.conversationApi().create([alice, mallory]);
    const c = conversation!.conversationId;
    // Mallory floods from 8 connections of her own, 40 concurrent sends on each.
    const floods = Array.from(
      { length: 8 },
      () => new MessageApi(address, undefined, { 'grpc.use_local_subchannel_pool': 1 }),
    );
    const started = Date.now();
    const flood = Promise.all(
      floods.flatMap((api) =>
        Array.from({ length: 40 }, () =>
          api.send(mallory, { conversationId: c, senderUserId: mallory, content: 'spam' }).then(
            () => 'ok' as const,
            (e: unknown) => failure(Promise.reject(e)),
          ),
        ),
      ),
    );
    // Meanwhile Alice sends as usual (within her own burst) on her own connection.
    const aliceApi = new MessageApi(address, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    const aliceLatenciesMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await aliceApi.send(alice, { conversationId: c, senderUserId: alice, content: `m${i}` });
      aliceLatenciesMs.push(Date.now() - t0);
    }
    const outcomes = await flood;
    const elapsedS = (Date.now() - started) / 1000;
    for (const api of [...floods, aliceApi]) api.close();

    const accepted = outcomes.filter((o) => o === 'ok').length;
    const refused = outcomes.filter((o) => o !== 'ok');
    process.stdout.write(
      `flood: ${accepted} accepted, ${refused.length} refused in ${elapsedS.toFixed(1)} s; ` +
        `alice's sends took ${aliceLatenciesMs.join(', ')} ms\n`,
    );
    // The bucket: the burst plus what dripped in while the flood lasted (+1 for rounding).
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(BURST + Math.ceil(RATE * elapsedS) + 1);
    expect(new Set(refused.map((f) => status[f.code]))).toEqual(new Set(['RESOURCE_EXHAUSTED']));
    for (const f of refused) {
      expect(f.retryDelayMs).toBeGreaterThan(0);
      expect(f.retryDelayMs).toBeLessThanOrEqual(1000 / RATE);
    }

    // Refused sends took no number: the stream has no gaps.
    const page = await stack
      .messageApi()
      .sync(alice, { conversationId: c, afterSequence: 0, pageSize: 1000 });
    expect(page.messages.map((m) => m.sequence)).toEqual(
      Array.from({ length: accepted + 5 }, (_, i) => i + 1),
    );
    expect(page.messages.filter((m) => m.senderUserId === alice)).toHaveLength(5);

    // Mallory may send again once she waited as RetryInfo told her.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const f = await failure(
        stack
          .messageApi()
          .send(mallory, { conversationId: c, senderUserId: mallory, content: 'ok' }),
      ).catch(() => null); // null: it succeeded
      if (f === null) break;
      expect(status[f.code]).toBe('RESOURCE_EXHAUSTED');
      if (Date.now() > deadline) throw new Error('mallory never got a token back');
      await new Promise((r) => setTimeout(r, f.retryDelayMs));
    }
  });

  it('caps the calls one connection may hold, and serves others while many slow streams are open', async () => {
    // 10 connections, each trying to hold twice the cap of requests that never finish sending.
    const slow = await Promise.all(Array.from({ length: 10 }, () => connect()));
    for (const session of slow) {
      expect(session.remoteSettings.maxConcurrentStreams).toBe(MAX_STREAMS);
      for (let i = 0; i < 2 * MAX_STREAMS; i++) {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/realchat.message.v1.MessageApi/SyncMessages',
          'content-type': 'application/grpc',
          te: 'trailers',
          'x-user-id': 'slowloris',
        });
        stream.on('error', () => undefined);
        stream.write(Buffer.from([0, 0, 0, 0, 100])); // announces 100 bytes, sends none
      }
    }
    const alice = `alice-${randomUUID()}`;
    const { conversation } = await stack.conversationApi().create([alice, 'bob']);
    const api = new MessageApi(address, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const { message } = await api.send(alice, {
          conversationId: conversation!.conversationId,
          senderUserId: alice,
          content: `m${i}`,
        });
        expect(message!.sequence).toBe(i + 1);
      }
    } finally {
      api.close();
      for (const s of slow) s.destroy();
    }
  });

  it('closes connections that stay idle (GOAWAY after GRPC_MAX_CONNECTION_IDLE_MS)', async () => {
    const idle = await Promise.all(Array.from({ length: 10 }, () => connect()));
    const goaways = idle.map(
      (session) =>
        new Promise<void>((resolve) => {
          if (session.closed || session.destroyed) resolve();
          session.once('goaway', () => resolve());
          session.once('close', () => resolve());
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('idle connections were not closed')), 15_000);
    });
    try {
      await Promise.race([Promise.all(goaways), limit]);
    } finally {
      clearTimeout(timer);
    }
  });
});
