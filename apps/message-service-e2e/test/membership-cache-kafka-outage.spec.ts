import { LocalKafka, startKafka, stopKafka } from '@realchat/infra';
import {
  ConversationApi,
  eventually,
  freshDatabase,
  MessageApi,
  sampleValue,
  scrapeMetrics,
  startConversationStub,
  startDedicatedKafka,
  startMessageApi,
  status,
  testTopic,
  MEMBERSHIP_EVENTS_LIVE_LOG,
  statusOf,
} from '@realchat/testing';

const EVENT_TTL_MS = 60_000;
const SHORT_TTL_MS = 1000;
const LIVENESS_MS = 3000;
const LIVE_LOG = MEMBERSHIP_EVENTS_LIVE_LOG;

/**
 * docs/membership-cache.md: when Kafka goes away under a live consumer, message-api drops what it
 * cached for the long TTL and falls back to the short one, so a change it can no longer hear of
 * (the stub committed it, but could not announce it) is still seen within the liveness window
 * plus the short TTL; when Kafka is back, the events are live again without a restart. Its own
 * broker (startDedicatedKafka), so stopping it disturbs no other test.
 */
describe('members cache during a Kafka outage', () => {
  let broker: LocalKafka;
  beforeAll(async () => {
    broker = await startDedicatedKafka('members-outage');
  }, 120_000);

  it('falls back to the short TTL when Kafka goes away, and back to events when it returns', async () => {
    const db = await freshDatabase('e2e_members_outage');
    const topic = testTopic('members-outage', broker.brokers);
    const stub = await startConversationStub({
      DATABASE_URL: db,
      KAFKA_BROKERS: broker.brokers,
      CONVERSATION_EVENTS_TOPIC: topic,
    });
    const api = await startMessageApi({
      DATABASE_URL: db,
      CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      KAFKA_BROKERS: broker.brokers,
      CONVERSATION_EVENTS_TOPIC: topic,
      MEMBERS_CACHE_TTL_MS: String(SHORT_TTL_MS),
      MEMBERS_CACHE_EVENT_TTL_MS: String(EVENT_TTL_MS),
      MEMBERSHIP_EVENTS_LIVENESS_MS: String(LIVENESS_MS),
    });
    const conversations = new ConversationApi(`127.0.0.1:${stub.port()}`);
    const messages = new MessageApi(`127.0.0.1:${api.port()}`);
    const sendAs = (room: string, user: string) =>
      statusOf(messages.send(user, { conversationId: room, senderUserId: user, content: 'hi' }));
    const liveLogs = () => api.logs().filter((l) => l.msg === LIVE_LOG).length;
    const getConversationCalls = async () =>
      sampleValue(await scrapeMetrics(api.port('http')), 'conversation_api_client_seconds_count', {
        method: 'GetConversation',
        code: 'OK',
      }) ?? 0;
    try {
      // The first GetConversation answer says the stub announces changes on this topic.
      const primer = (await conversations.create(['admin'])).conversation!.conversationId;
      expect(await sendAs(primer, 'admin')).toBe(status.OK);
      await api.waitForLog((l) => l.msg === LIVE_LOG, 60_000);
      const room = (await conversations.create(['admin', 'dave'])).conversation!.conversationId;
      expect(await sendAs(room, 'dave')).toBe(status.OK);
      // Cached for the long TTL: past the short TTL, no new GetConversation.
      const calls = await getConversationCalls();
      await new Promise((r) => setTimeout(r, SHORT_TTL_MS * 2));
      expect(await sendAs(room, 'dave')).toBe(status.OK);
      expect(await getConversationCalls()).toBe(calls);

      await stopKafka(broker);
      // Saved, but not announced: the stub cannot publish, and says so.
      const removal = await statusOf(conversations.removeParticipant(room, 'admin', 'dave'));
      expect(removal).toBe(status.UNAVAILABLE);
      const removedAt = Date.now();
      let refusedAfter = NaN;
      await eventually(
        'the removed participant to be refused without an event',
        async () => {
          const start = Date.now();
          if ((await sendAs(room, 'dave')) !== status.PERMISSION_DENIED) return false;
          refusedAfter = start - removedAt;
          return true;
        },
        EVENT_TTL_MS / 2,
        50,
      );
      // Within the liveness window and the short TTL (plus slack for a loaded machine), not the
      // event TTL: the entry cached while live was dropped when the consumer stopped fetching.
      expect(refusedAfter).toBeLessThanOrEqual(LIVENESS_MS + SHORT_TTL_MS + 3000);
      // Kafka down never made message-api unready.
      expect((await fetch(`http://127.0.0.1:${api.port('http')}/readyz`)).status).toBe(200);

      await startKafka(broker);
      await eventually('the events to be live again', () => liveLogs() >= 2, 90_000, 200);
      await conversations.addParticipant(room, 'admin', 'dave');
      await eventually(
        're-added participant to be let in',
        async () => (await sendAs(room, 'dave')) === status.OK,
        10_000,
        50,
      );
    } finally {
      conversations.close();
      messages.close();
    }
  });
});
