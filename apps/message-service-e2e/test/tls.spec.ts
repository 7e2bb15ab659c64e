import fs from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import {
  AppProcess,
  CertFiles,
  ConversationApi,
  eventually,
  failure,
  fingerprint256,
  freshDatabase,
  MessageApi,
  presentedFingerprint,
  replaceCertFiles,
  startConversationStub,
  startMessageApi,
  status,
  TestCertificates,
} from '@realchat/testing';

/**
 * docs/tls.md: both gRPC servers speak TLS, with mutual TLS and an allow-list of client names;
 * message-api calls the Conversation API over mutual TLS; certificates are re-read without a
 * restart. All certificates are made by the test (TestCertificates), none is committed.
 */
describe('TLS and mutual TLS on the gRPC links', () => {
  let certs: TestCertificates;
  let ca: CertFiles;
  let otherCa: CertFiles;
  let apiServer: CertFiles;
  let api: AppProcess;
  let stub: AppProcess;
  const clients: { close(): void }[] = [];

  /** A client of message-api with `client`'s certificate (none: TLS without one). */
  const tlsClient = (client?: CertFiles, trust: CertFiles = ca) => {
    const c = new MessageApi(
      `127.0.0.1:${api.port()}`,
      credentials.createSsl(
        fs.readFileSync(trust.cert),
        client ? fs.readFileSync(client.key) : null,
        client ? fs.readFileSync(client.cert) : null,
      ),
    );
    clients.push(c);
    return c;
  };

  let conversationId: string;
  const send = (c: MessageApi) =>
    c.send('alice', { conversationId, senderUserId: 'alice', content: 'over tls' });

  beforeAll(async () => {
    certs = TestCertificates.create('e2e-tls');
    ca = certs.ca('realchat-test-ca');
    otherCa = certs.ca('other-ca');
    apiServer = certs.server('message-api-server', ca);
    const stubServer = certs.server('conversation-stub-server', ca);
    const apiClient = certs.client('message-api', ca);
    const db = await freshDatabase('e2e_tls');

    stub = await startConversationStub({
      DATABASE_URL: db,
      GRPC_TLS_CERT_FILE: stubServer.cert,
      GRPC_TLS_KEY_FILE: stubServer.key,
      GRPC_TLS_CLIENT_CA_FILE: ca.cert,
      GRPC_TLS_ALLOWED_CLIENT_NAMES: 'message-api, gateway',
    });
    api = await startMessageApi({
      DATABASE_URL: db,
      // A name, not an IP: TLS clients send it as SNI (Node warns about an IP there).
      CONVERSATION_API_ADDR: `localhost:${stub.port()}`,
      CONVERSATION_API_TLS: 'true',
      CONVERSATION_API_TLS_CA_FILE: ca.cert,
      CONVERSATION_API_TLS_CERT_FILE: apiClient.cert,
      CONVERSATION_API_TLS_KEY_FILE: apiClient.key,
      GRPC_TLS_CERT_FILE: apiServer.cert,
      GRPC_TLS_KEY_FILE: apiServer.key,
      GRPC_TLS_CLIENT_CA_FILE: ca.cert,
      GRPC_TLS_ALLOWED_CLIENT_NAMES: 'gateway',
      GRPC_TLS_RELOAD_INTERVAL_MS: '200',
    });
    const gateway = certs.client('gateway', ca);
    const admin = new ConversationApi(
      `127.0.0.1:${stub.port()}`,
      credentials.createSsl(
        fs.readFileSync(ca.cert),
        fs.readFileSync(gateway.key),
        fs.readFileSync(gateway.cert),
      ),
    );
    clients.push(admin);
    conversationId = (await admin.create(['alice', 'bob'])).conversation!.conversationId;
  });
  afterAll(() => clients.forEach((c) => c.close()));

  it('logs the transport it runs with', () => {
    const serving = (p: AppProcess) => p.logs().find((l) => typeof l.address === 'string');
    expect(serving(api)).toMatchObject({ transport: 'mtls', conversationApiTls: true });
    expect(serving(stub)).toMatchObject({ transport: 'mtls' });
  });

  it('serves an allowed client end to end, message-api calling the stub over mutual TLS', async () => {
    const res = await send(tlsClient(certs.client('gateway', ca)));
    expect(res.message?.conversationId).toBe(conversationId);
    expect(res.message?.sequence).toBeGreaterThan(0);
  });

  it.each([
    ['a plaintext client', () => new MessageApi(`127.0.0.1:${api.port()}`), status.UNAVAILABLE],
    ['a TLS client without a certificate', () => tlsClient(), status.UNAVAILABLE],
    [
      'a client whose certificate another CA signed',
      () => tlsClient(certs.client('gateway-forged', otherCa)),
      status.UNAVAILABLE,
    ],
    [
      'a client that does not trust the server certificate',
      () => tlsClient(certs.client('gateway-distrustful', ca), otherCa),
      status.UNAVAILABLE,
    ],
    [
      'a client the CA signed but not on the allow-list',
      () => tlsClient(certs.client('intruder', ca)),
      status.PERMISSION_DENIED,
    ],
  ] as [string, () => MessageApi, status][])('refuses %s', async (_what, client, code) => {
    const c = client();
    clients.push(c);
    expect((await failure(send(c))).code).toBe(code);
  });

  it('the stub refuses message-api clients that are not on its allow-list', async () => {
    const someoneElse = certs.client('someone-else', ca);
    const c = new ConversationApi(
      `127.0.0.1:${stub.port()}`,
      credentials.createSsl(
        fs.readFileSync(ca.cert),
        fs.readFileSync(someoneElse.key),
        fs.readFileSync(someoneElse.cert),
      ),
    );
    clients.push(c);
    expect((await failure(c.create(['x', 'y']))).code).toBe(status.PERMISSION_DENIED);
  });

  it('a message-api without a client certificate cannot use the stub: not ready, sends UNAVAILABLE', async () => {
    const unauthenticated = await startMessageApi({
      DATABASE_URL: await freshDatabase('e2e_tls'),
      CONVERSATION_API_ADDR: `localhost:${stub.port()}`,
      CONVERSATION_API_TLS: 'true',
      CONVERSATION_API_TLS_CA_FILE: ca.cert,
      HEALTH_CHECK_INTERVAL_MS: '200',
    });
    const c = new MessageApi(`127.0.0.1:${unauthenticated.port()}`);
    clients.push(c);
    expect((await failure(send(c))).code).toBe(status.UNAVAILABLE);
    // Once a round of checks has run (PostgreSQL answers), the Conversation API is the one down.
    let body = '';
    await eventually('a round of readiness checks', async () => {
      const ready = await fetch(`http://127.0.0.1:${unauthenticated.port('http')}/readyz`);
      body = await ready.text();
      return ready.status === 503 && body.includes('postgres=true');
    });
    expect(body).toContain('conversation-api=false');
  });

  it('presents a rotated certificate to new connections without a restart', async () => {
    const gateway = certs.client('gateway', ca);
    const before = await presentedFingerprint(api.port(), ca.cert, gateway);
    expect(before).toBe(fingerprint256(apiServer.cert));
    const renewed = certs.server('message-api-server-renewed', ca);
    expect(fingerprint256(renewed.cert)).not.toBe(before);

    replaceCertFiles(apiServer, renewed);
    await eventually(
      'new connections to get the renewed certificate',
      async () =>
        (await presentedFingerprint(api.port(), ca.cert, gateway)) === fingerprint256(renewed.cert),
      15_000,
    );
    // The same process, and calls still work over the new certificate.
    expect(api.running).toBe(true);
    expect((await send(tlsClient(gateway))).message?.conversationId).toBe(conversationId);
  });
});

describe('TLS configuration', () => {
  it('message-api over TLS without mTLS serves any client that trusts its CA', async () => {
    const certs = TestCertificates.create('e2e-tls-plain');
    const ca = certs.ca('ca');
    const server = certs.server('server', ca);
    const db = await freshDatabase('e2e_tls');
    const stub = await startConversationStub({
      DATABASE_URL: db,
      GRPC_TLS_CERT_FILE: server.cert,
      GRPC_TLS_KEY_FILE: server.key,
    });
    const api = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `localhost:${stub.port()}`,
      CONVERSATION_API_TLS: 'true',
      CONVERSATION_API_TLS_CA_FILE: ca.cert,
      GRPC_TLS_CERT_FILE: server.cert,
      GRPC_TLS_KEY_FILE: server.key,
    });
    const trust = credentials.createSsl(fs.readFileSync(ca.cert));
    const admin = new ConversationApi(`127.0.0.1:${stub.port()}`, trust);
    const client = new MessageApi(`127.0.0.1:${api.port()}`, trust);
    try {
      const c = (await admin.create(['ann', 'ben'])).conversation!.conversationId;
      const res = await client.send('ann', {
        conversationId: c,
        senderUserId: 'ann',
        content: 'x',
      });
      expect(res.message?.conversationId).toBe(c);
      expect(api.logs().find((l) => typeof l.address === 'string')).toMatchObject({
        transport: 'tls',
      });
    } finally {
      admin.close();
      client.close();
    }
    // SIGTERM drains and exits 0 with the certificate watchers running.
    expect(await api.stop()).toBe(0);
    expect(await stub.stop()).toBe(0);
  });
});
