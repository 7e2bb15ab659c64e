import {
  AppProcess,
  EventCollector,
  eventually,
  failure,
  freshDatabase,
  MetricSample,
  sampleValue,
  scrapeMetrics,
  Stack,
  status,
  testTopic,
} from '@realchat/testing';

/**
 * README "Operating it": every app serves Prometheus text on its HTTP port (the start line's
 * `http` field), with /healthz and /readyz beside it. After real traffic (sends, syncs, a refused
 * call) the series of docs are there and have moved, with the documented labels.
 */
describe('metrics of every app after traffic', () => {
  let stack: Stack;
  let db: string;
  let topic: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_metrics');
    topic = testTopic('metrics');
    // A long members TTL: the second send of a conversation is a cache hit for sure.
    stack = await Stack.start({
      databaseUrl: db,
      topic,
      relays: 1,
      env: { MEMBERS_CACHE_TTL_MS: '60000' },
    });
  });
  afterAll(() => stack?.stop());

  const httpPort = (app: AppProcess) => app.port('http');
  const stubProcess = () => stack.conversationStub;

  /** The value of a sample that must exist, for expect(). */
  const value = (samples: MetricSample[], name: string, labels: Record<string, string> = {}) => {
    const v = sampleValue(samples, name, labels);
    if (v === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
    return v;
  };

  it('serves /healthz and /readyz on each HTTP port', async () => {
    for (const app of [stack.apis[0], stubProcess(), stack.relays[0]]) {
      const port = httpPort(app);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The relay connects to Kafka after its start line: ready within a moment.
      await eventually(
        `${app.app} /readyz to answer 200`,
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        20_000,
      );
      expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).text()).toMatch(/^ready /);
    }
  });

  it('records gRPC calls, Conversation API calls, the members cache, lock waits and pools', async () => {
    const events = await EventCollector.start(topic);
    const api = stack.messageApi();
    const conversations = stack.conversationApi();
    try {
      const c = (await conversations.create(['alice', 'bob'])).conversation!.conversationId;
      for (let i = 0; i < 3; i++)
        await api.send('alice', { conversationId: c, senderUserId: 'alice', content: `m${i}` });
      await api.sync('bob', { conversationId: c });
      await api.sync('bob', { conversationId: c, afterSequence: 1 });
      // A refused call: counted under its status code.
      expect((await failure(api.send(null, { conversationId: c }))).code).toBe(
        status.UNAUTHENTICATED,
      );
      await events.waitUntil(
        'the three events on Kafka',
        () => events.forKey(c).length === 3,
        20_000,
      );

      const m = await scrapeMetrics(httpPort(stack.apis[0]));
      expect(value(m, 'grpc_server_handled_total', { method: 'SendMessage', code: 'OK' })).toBe(3);
      expect(
        value(m, 'grpc_server_handled_total', { method: 'SendMessage', code: 'UNAUTHENTICATED' }),
      ).toBe(1);
      expect(value(m, 'grpc_server_handled_total', { method: 'SyncMessages', code: 'OK' })).toBe(2);
      expect(value(m, 'grpc_server_handling_seconds_count', { method: 'SendMessage' })).toBe(4);
      expect(
        value(m, 'grpc_server_handling_seconds_sum', { method: 'SendMessage' }),
      ).toBeGreaterThan(0);
      expect(value(m, 'grpc_server_in_flight', { method: 'SendMessage' })).toBe(0);
      expect(
        value(m, 'conversation_api_client_seconds_count', { method: 'NextSequence', code: 'OK' }),
      ).toBe(3);
      expect(
        value(m, 'conversation_api_client_seconds_count', {
          method: 'GetConversation',
          code: 'OK',
        }),
      ).toBe(1);
      // Three sends and two syncs look the members up; only the first goes to the API.
      expect(value(m, 'members_cache_lookups_total', { result: 'miss' })).toBe(1);
      expect(value(m, 'members_cache_lookups_total', { result: 'hit' })).toBe(4);
      expect(value(m, 'conversation_lock_wait_seconds_count')).toBe(3);
      expect(value(m, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(value(m, 'db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
      expect(value(m, 'db_pool_connections', { state: 'waiting' })).toBe(0);
      expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // No identifier ever becomes a label value.
      expect(JSON.stringify(m.map((s) => s.labels))).not.toContain(c);

      const s = await scrapeMetrics(httpPort(stubProcess()));
      expect(
        value(s, 'grpc_server_handled_total', { method: 'CreateConversation', code: 'OK' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        value(s, 'grpc_server_handled_total', { method: 'NextSequence', code: 'OK' }),
      ).toBeGreaterThanOrEqual(3);
      expect(
        value(s, 'grpc_server_handling_seconds_count', { method: 'GetConversation' }),
      ).toBeGreaterThanOrEqual(1);
      expect(value(s, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(value(s, 'process_resident_memory_bytes')).toBeGreaterThan(0);

      const r = await scrapeMetrics(httpPort(stack.relays[0]));
      expect(value(r, 'relay_events_published_total')).toBeGreaterThanOrEqual(3);
      expect(value(r, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(value(r, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await events.stop();
    }
  });
});
