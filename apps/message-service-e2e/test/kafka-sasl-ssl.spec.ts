import {
  AppProcess,
  EventCollector,
  eventually,
  freshDatabase,
  MessageApi,
  ConversationApi,
  SecureKafka,
  Stack,
  startConversationStub,
  startMessageApi,
  startSecureKafka,
  status,
  TestCertificates,
  testTopic,
  MEMBERSHIP_EVENTS_LIVE_LOG,
  statusOf,
} from '@realchat/testing';

/**
 * docs/tls.md "Kafka": the relay publishes over SASL_SSL (TLS plus SCRAM-SHA-512) to a broker of
 * the test's own, and a wrong password is said plainly while the relay stays up and not ready.
 */
describe('the relay over Kafka SASL_SSL', () => {
  let kafka: SecureKafka;
  let secure: Record<string, string>;

  beforeAll(async () => {
    kafka = await startSecureKafka('sasl', TestCertificates.create('e2e-kafka'));
    secure = {
      KAFKA_BROKERS: kafka.saslSsl,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: kafka.ca.cert,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: kafka.user.name,
    };
  }, 120_000);

  it('publishes the events of committed sends with SCRAM-SHA-512 over TLS', async () => {
    const topic = testTopic('e2e-sasl', kafka.plaintext);
    const collector = await EventCollector.start(topic, kafka.plaintext);
    const stack = await Stack.start({
      databaseUrl: await freshDatabase('e2e_sasl'),
      topic,
      relayEnv: { ...secure, KAFKA_SASL_PASSWORD: kafka.user.password },
    });
    try {
      await stack.startRelay();
      const c = (await stack.conversationApi().create(['ann', 'ben'])).conversation!.conversationId;
      for (const content of ['one', 'two'])
        await stack.messageApi().send('ann', { conversationId: c, senderUserId: 'ann', content });
      await collector.waitUntil('both events', () => collector.forKey(c).length === 2);
      expect(collector.forKey(c).map((e) => e.position)).toEqual([1, 2]);
      const ready = await fetch(`http://127.0.0.1:${stack.relays[0].port('http')}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await stack.stop();
    }
  });

  it('says the credentials were refused when the password is wrong, and is not ready', async () => {
    const relay = await AppProcess.start(
      'outbox-relay',
      {
        DATABASE_URL: await freshDatabase('e2e_sasl'),
        KAFKA_TOPIC: testTopic('e2e-sasl', kafka.plaintext),
        RELAY_HTTP_PORT: '0',
        RELAY_HTTP_HOST: '127.0.0.1',
        ...secure,
        KAFKA_SASL_PASSWORD: 'not-the-password',
      },
      'outbox-relay running',
    );
    await relay.waitForLog(
      (l) =>
        l.msg === 'Kafka still unavailable' &&
        /refused the relay's credentials.*KAFKA_SASL_PASSWORD/.test(String(l.err)),
    );
    const ready = await fetch(`http://127.0.0.1:${relay.port('http')}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([
      503,
      expect.stringContaining('kafka=false'),
    ]);
    expect(relay.running).toBe(true);
    // Neither password is ever logged.
    const logs = relay.logs().map((l) => JSON.stringify(l));
    expect(logs.filter((l) => l.includes('not-the-password'))).toEqual([]);
    expect(logs.filter((l) => l.includes(kafka.user.password))).toEqual([]);
    await eventually('a clean stop', async () => (await relay.stop()) === 0, 30_000);
  });

  it('carries the MEMBERSHIP_CHANGED events of the stub to message-api over SASL_SSL too', async () => {
    const db = await freshDatabase('e2e_sasl');
    const topic = testTopic('e2e-sasl-members', kafka.plaintext);
    const env = { ...secure, KAFKA_SASL_PASSWORD: kafka.user.password };
    const stub = await startConversationStub({
      DATABASE_URL: db,
      CONVERSATION_EVENTS_TOPIC: topic,
      ...env,
    });
    const api = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      CONVERSATION_EVENTS_TOPIC: topic,
      MEMBERS_CACHE_EVENT_TTL_MS: '60000',
      ...env,
    });
    const conversations = new ConversationApi(`127.0.0.1:${stub.port()}`);
    const messages = new MessageApi(`127.0.0.1:${api.port()}`);
    const sendAs = (c: string, user: string) =>
      statusOf(messages.send(user, { conversationId: c, senderUserId: user, content: 'hi' }));
    try {
      const c = (await conversations.create(['ann', 'dan'])).conversation!.conversationId;
      // The first answer says the stub announces changes on this topic; then the consumer, in
      // its group over TLS + SCRAM, makes the events live.
      expect(await sendAs(c, 'dan')).toBe(status.OK);
      await api.waitForLog((l) => l.msg === MEMBERSHIP_EVENTS_LIVE_LOG, 60_000);
      // Past the 1 s short TTL: this lookup caches dan for the 60 s event TTL.
      await new Promise((r) => setTimeout(r, 1200));
      expect(await sendAs(c, 'dan')).toBe(status.OK);
      // Answered OK only once its event is durable on the SASL_SSL listener.
      await conversations.removeParticipant(c, 'ann', 'dan');
      const removedAt = Date.now();
      await eventually(
        'dan refused',
        async () => (await sendAs(c, 'dan')) === status.PERMISSION_DENIED,
        30_000,
        50,
      );
      // Well inside the 60 s TTL: an eviction, delivered over the secured connection.
      expect(Date.now() - removedAt).toBeLessThan(10_000);
      const logs = [...stub.logs(), ...api.logs()].map((l) => JSON.stringify(l));
      expect(logs.filter((l) => l.includes(kafka.user.password))).toEqual([]);
    } finally {
      conversations.close();
      messages.close();
      expect(await api.stop()).toBe(0);
      expect(await stub.stop()).toBe(0);
    }
  });
});
