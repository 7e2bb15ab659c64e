import net from 'node:net';
import os from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import {
  EventType,
  MembershipChange,
  MembershipChangedEvent,
  ParticipantRole,
} from '@realchat/proto';
import {
  AppProcess,
  ConversationApi,
  EventCollector,
  eventually,
  freshDatabase,
  MessageApi,
  sampleValue,
  scrapeMetrics,
  startConversationStub,
  startMessageApi,
  status,
  testTopic,
  MEMBERSHIP_EVENTS_LIVE_LOG,
  statusOf,
} from '@realchat/testing';

/** The event-backed TTL of these tests: a change seen within seconds can only be an eviction. */
const EVENT_TTL_MS = 60_000;
/** The short TTL (MEMBERS_CACHE_TTL_MS), which applies while the events are not live. */
const SHORT_TTL_MS = 1000;
/** "Within a few seconds" of the change's call returning, on a loaded 2-core machine. */
const SEEN_WITHIN_MS = 5000;

const LIVE_LOG = MEMBERSHIP_EVENTS_LIVE_LOG;

/**
 * docs/membership-cache.md: message-api caches members for MEMBERS_CACHE_EVENT_TTL_MS while its
 * consumer of the Conversation API's MEMBERSHIP_CHANGED events is live, and a change evicts
 * them; when the consumer cannot reach Kafka the short TTL applies. Real PostgreSQL, real Kafka,
 * the built apps as processes; a topic of the suite's own.
 */
describe('members cache invalidated by MEMBERSHIP_CHANGED events', () => {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  let db: string;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    db = await freshDatabase('e2e_members');
  });
  afterAll(() => clients.forEach((c) => c.close()));

  /** A stub that publishes the events to a topic of the caller's own, and a message-api. */
  async function start(topic: string, apiEnv: Record<string, string>) {
    const stub = await startConversationStub({
      DATABASE_URL: db,
      KAFKA_BROKERS: brokers,
      CONVERSATION_EVENTS_TOPIC: topic,
    });
    const api = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      CONVERSATION_EVENTS_TOPIC: topic,
      MEMBERS_CACHE_TTL_MS: String(SHORT_TTL_MS),
      MEMBERS_CACHE_EVENT_TTL_MS: String(EVENT_TTL_MS),
      ...apiEnv,
    });
    const conversations = new ConversationApi(`127.0.0.1:${stub.port()}`);
    const messages = new MessageApi(`127.0.0.1:${api.port()}`);
    clients.push(conversations, messages);
    return { stub, api, conversations, messages };
  }

  /** The status of one send by `user` (OK or the error's code). */
  const sendAs = (messages: MessageApi, conversationId: string, user: string) =>
    statusOf(messages.send(user, { conversationId, senderUserId: user, content: 'hi' }));

  /** Sends until one answers `code`; how long after `from` that send started. */
  async function firstAnswer(
    what: string,
    send: () => Promise<number>,
    code: number,
    from: number,
  ): Promise<number> {
    let startedAt = NaN;
    await eventually(
      what,
      async () => {
        const start = Date.now();
        if ((await send()) !== code) return false;
        startedAt = start;
        return true;
      },
      EVENT_TTL_MS / 2,
      50,
    );
    return startedAt - from;
  }

  /** GetConversation calls message-api made so far (from its metrics). */
  async function getConversationCalls(api: AppProcess): Promise<number> {
    const samples = await scrapeMetrics(api.port('http'));
    return (
      sampleValue(samples, 'conversation_api_client_seconds_count', {
        method: 'GetConversation',
        code: 'OK',
      }) ?? 0
    );
  }

  describe('with the consumer live', () => {
    let env: Awaited<ReturnType<typeof start>>;
    let topic: string;

    beforeAll(async () => {
      topic = testTopic('members-live');
      env = await start(topic, { KAFKA_BROKERS: brokers });
      // A first GetConversation answer says the stub announces changes on this topic; with the
      // consumer in its group and its offsets resolved, from here on no change is missed.
      const primer = (await env.conversations.create(['admin'])).conversation!.conversationId;
      expect(await sendAs(env.messages, primer, 'admin')).toBe(status.OK);
      await env.api.waitForLog((l) => l.msg === LIVE_LOG, 30_000);
    });

    it("refuses a removed participant within seconds, though the members' TTL is 60 s", async () => {
      const { api, conversations, messages } = env;
      const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
      expect(await sendAs(messages, room, 'dave')).toBe(status.OK); // caches the members
      // The long TTL is in force: past the short TTL, the members still come from the cache.
      const calls = await getConversationCalls(api);
      await new Promise((r) => setTimeout(r, SHORT_TTL_MS * 2));
      expect(await sendAs(messages, room, 'dave')).toBe(status.OK);
      expect(await getConversationCalls(api)).toBe(calls);

      await conversations.removeParticipant(room, 'admin', 'dave');
      const removedAt = Date.now();
      const after = await firstAnswer(
        'the removed participant to be refused',
        () => sendAs(messages, room, 'dave'),
        status.PERMISSION_DENIED,
        removedAt,
      );
      expect(after).toBeLessThanOrEqual(SEEN_WITHIN_MS);
    });

    it('lets an added participant send right away, though the members were cached', async () => {
      const { conversations, messages } = env;
      const room = (await conversations.create(['admin', 'bob'])).conversation!.conversationId;
      expect(await sendAs(messages, room, 'bob')).toBe(status.OK); // caches admin and bob
      expect(await sendAs(messages, room, 'carol')).toBe(status.PERMISSION_DENIED);

      await conversations.addParticipant(room, 'admin', 'carol');
      const addedAt = Date.now();
      const after = await firstAnswer(
        'the added participant to be let in',
        () => sendAs(messages, room, 'carol'),
        status.OK,
        addedAt,
      );
      expect(after).toBeLessThanOrEqual(SEEN_WITHIN_MS);
    });

    it('publishes one MEMBERSHIP_CHANGED record per change, keyed by conversation id', async () => {
      const events = await EventCollector.start(topic, brokers);
      const { conversations } = env;
      const room = (await conversations.create(['admin'])).conversation!.conversationId;
      await conversations.addParticipant(room, 'admin', 'erin', ParticipantRole.ADMIN);
      await conversations.removeParticipant(room, 'admin', 'erin');
      // Durable before each call returned: the records are there without waiting for more.
      await events.waitUntil('both records', () => events.forKey(room).length >= 2, 10_000);
      const records = events.forKey(room);
      expect(records).toHaveLength(2);
      for (const r of records) {
        expect(r.envelope.eventType).toBe(EventType.EVENT_TYPE_MEMBERSHIP_CHANGED);
        expect(r.headers['event-type']).toBe('EVENT_TYPE_MEMBERSHIP_CHANGED');
      }
      // One conversation, one partition: in the order of the calls.
      expect(records.map((r) => MembershipChangedEvent.decode(r.envelope.payload))).toEqual([
        expect.objectContaining({
          conversationId: room,
          userId: 'erin',
          change: MembershipChange.MEMBERSHIP_CHANGE_ADDED,
          role: ParticipantRole.ADMIN,
          actorUserId: 'admin',
        }),
        expect.objectContaining({
          conversationId: room,
          userId: 'erin',
          change: MembershipChange.MEMBERSHIP_CHANGE_REMOVED,
          role: ParticipantRole.PARTICIPANT_ROLE_UNSPECIFIED,
          actorUserId: 'admin',
        }),
      ]);
      await events.stop();
    });

    it('leaves its consumer group and exits 0 on SIGTERM', async () => {
      expect(await env.api.stop('SIGTERM')).toBe(0);
      expect(env.api.logs().some((l) => l.msg === 'stopped')).toBe(true);
    });
  });

  it('falls back to the short TTL while message-api cannot reach Kafka', async () => {
    // A port nothing listens on: the consumer never joins, the stub still publishes.
    const { api, conversations, messages } = await start(testTopic('members-fallback'), {
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
    });
    const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
    expect(await sendAs(messages, room, 'dave')).toBe(status.OK);
    const cachedBy = Date.now();
    await conversations.removeParticipant(room, 'admin', 'dave');
    const after = await firstAnswer(
      'the removed participant to be refused',
      () => sendAs(messages, room, 'dave'),
      status.PERMISSION_DENIED,
      cachedBy,
    );
    // Refused once the short TTL ran out (plus polling slack), not after the event TTL.
    expect(after).toBeLessThanOrEqual(SHORT_TTL_MS * 3);
    // Kafka being unreachable does not make message-api unready, nor hold its stop.
    const ready = await fetch(`http://127.0.0.1:${api.port('http')}/readyz`);
    expect(ready.status).toBe(200);
    expect(await api.stop('SIGTERM')).toBe(0);
  });
});

describe('a Conversation API that does not announce changes on the consumed topic', () => {
  it('gets the short TTL, though message-api consumes a live topic', async () => {
    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    const db = await freshDatabase('e2e_members_elsewhere');
    // The stub announces on one topic, message-api reads another (misconfigured, or a
    // Conversation API that publishes nothing): message-api's consumer sees a quiet, healthy
    // topic, which alone would look live.
    const published = testTopic('members-elsewhere-a', brokers);
    const consumed = testTopic('members-elsewhere-b', brokers);
    const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: consumed, numPartitions: 3 }] });
    const stub = await startConversationStub({
      DATABASE_URL: db,
      KAFKA_BROKERS: brokers,
      CONVERSATION_EVENTS_TOPIC: published,
    });
    const api = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      KAFKA_BROKERS: brokers,
      CONVERSATION_EVENTS_TOPIC: consumed,
      MEMBERS_CACHE_TTL_MS: String(SHORT_TTL_MS),
      MEMBERS_CACHE_EVENT_TTL_MS: String(EVENT_TTL_MS),
    });
    const conversations = new ConversationApi(`127.0.0.1:${stub.port()}`);
    const messages = new MessageApi(`127.0.0.1:${api.port()}`);
    try {
      // message-api's consumer is in its group and reading: all it lacks is the announcement.
      const group = `message-api-members-${os.hostname()}-${api.pid}-`;
      await eventually(
        "message-api's consumer group to be stable",
        async () => {
          const { groups } = await admin.listGroups();
          const ours = groups.filter((g) => g.groupId.startsWith(group)).map((g) => g.groupId);
          if (ours.length === 0) return false;
          const [d] = (await admin.describeGroups(ours)).groups;
          return d.state === 'Stable';
        },
        30_000,
      );
      const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
      const send = () =>
        statusOf(
          messages.send('dave', { conversationId: room, senderUserId: 'dave', content: 'hi' }),
        );
      // Twice: the first answer tells message-api whether changes are announced; the second
      // fill would get the long TTL if that were believed.
      expect(await send()).toBe(status.OK);
      await new Promise((r) => setTimeout(r, SHORT_TTL_MS + 200));
      expect(await send()).toBe(status.OK);
      const cachedBy = Date.now();
      await conversations.removeParticipant(room, 'admin', 'dave');
      await eventually(
        'the removed participant to be refused',
        async () => (await send()) === status.PERMISSION_DENIED,
        EVENT_TTL_MS / 2,
        50,
      );
      expect(Date.now() - cachedBy).toBeLessThanOrEqual(SHORT_TTL_MS * 3);
      expect(api.logs().filter((l) => l.msg === LIVE_LOG)).toEqual([]);
    } finally {
      conversations.close();
      messages.close();
      await admin.disconnect();
      expect(await api.stop()).toBe(0);
      expect(await stub.stop()).toBe(0);
    }
  });
});

describe('membership changes whose event cannot be published', () => {
  it('are saved but answered UNAVAILABLE, and so is their retry', async () => {
    const db = await freshDatabase('e2e_members_unannounced');
    const stub = await startConversationStub({
      DATABASE_URL: db,
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      CONVERSATION_EVENTS_TOPIC: testTopic('members-unannounced'),
    });
    const conversations = new ConversationApi(`127.0.0.1:${stub.port()}`);
    try {
      const room = (await conversations.create(['admin', 'bob'])).conversation!.conversationId;
      for (const attempt of [1, 2]) {
        const code = await statusOf(conversations.removeParticipant(room, 'admin', 'bob'));
        expect({ attempt, code }).toEqual({ attempt, code: status.UNAVAILABLE });
      }
      // Saved all the same (the retry is idempotent): only the acknowledgement waits for Kafka.
      const after = await conversations.get(room);
      expect(after.conversation!.participantUserIds).toEqual(['admin']);
    } finally {
      conversations.close();
    }
  });
});

/** A local port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
