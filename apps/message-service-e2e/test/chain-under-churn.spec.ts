import {
  AppProcess,
  ChatLoad,
  CuttableProxy,
  databaseHistory,
  EventCollector,
  eventually,
  freshDatabase,
  kafkaHistory,
  outboxSize,
  Stack,
  testTopic,
} from '@realchat/testing';

/**
 * The whole chain under churn: real sends and deletions (soft, hard after soft, hard) through
 * two message-api instances while relay replicas are SIGKILLed, added and stopped gracefully.
 * Afterwards each conversation's Kafka events, with re-sends dropped, are exactly the changes
 * the database holds, in the order of the conversation's one sequence (message sequence for a
 * send, deletion sequence for a deletion), and each deletion names its mode and message.
 */
const USERS = ['alice', 'bob', 'carol'];
const CONVERSATIONS = 5;
const WRITERS = 6;

describe('send and delete through the whole chain while relays churn', () => {
  it('delivers exactly the database history of every conversation, in order', async () => {
    const databaseUrl = await freshDatabase('e2e_chain');
    const topic = testTopic('chain');
    const [stack, events] = await Promise.all([
      Stack.start({
        databaseUrl,
        messageApis: 2,
        topic,
        relayEnv: { RELAY_LEASE_MS: '2000', RELAY_SHARD_COUNT: '16', RELAY_BATCH_SIZE: '20' },
      }),
      EventCollector.start(topic),
    ]);
    // Each relay reaches PostgreSQL through its own proxy, so that a SIGKILL can land exactly
    // between Kafka's acknowledgement and the outbox DELETE: the batch must be re-sent.
    const proxies = new Map<AppProcess, CuttableProxy>();
    const live = () => stack.relays.filter((r) => r.running);
    const startRelay = async () => {
      const pg = new URL(databaseUrl);
      const proxy = new CuttableProxy({ host: pg.hostname, port: Number(pg.port) });
      await proxy.open();
      pg.port = String(proxy.port);
      const relay = await stack.startRelay({ DATABASE_URL: pg.toString() });
      proxies.set(relay, proxy);
    };
    // Armed on every live relay: the first one to acknowledge a batch dies before the DELETE
    // reaches PostgreSQL (a relay whose shards have no traffic would never trip).
    const killFirstToAcknowledge = async () => {
      let victim: AppProcess | undefined;
      for (const relay of live()) {
        proxies.get(relay)!.whenClientSends('outbox_ack', () => {
          if (victim) return 'forward';
          victim = relay;
          relay.signal('SIGKILL');
          return 'drop';
        });
      }
      await eventually('a relay to acknowledge a batch', () => victim !== undefined, 30_000);
      await victim!.exitWithin(10_000);
    };
    await Promise.all([startRelay(), startRelay()]);
    const conversations: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++)
      conversations.push(
        (await stack.conversationApi().create(USERS)).conversation!.conversationId,
      );

    const load = new ChatLoad([stack.messageApi(0), stack.messageApi(1)], conversations, USERS);
    const writing = load.run(WRITERS);
    writing.catch(() => undefined); // awaited below; a failed call must not go unhandled meanwhile
    // Each step waits for fresh traffic on Kafka first, so that it lands mid-load.
    const gracefulExits: (number | null)[] = [];
    const steps: [string, () => Promise<unknown>][] = [
      ['SIGKILL a relay between publish and acknowledge', killFirstToAcknowledge],
      ['add a relay', startRelay],
      ['add a relay', startRelay],
      ['SIGTERM a relay', async () => gracefulExits.push(await live()[0].stop('SIGTERM'))],
      ['SIGKILL a relay', () => live()[live().length - 1].stop('SIGKILL')],
      ['add a relay', startRelay],
    ];
    try {
      for (const [what, step] of steps) {
        const before = events.events.length;
        await eventually(
          `traffic on Kafka before "${what}"`,
          () => events.events.length >= before + 60,
          30_000,
        );
        await step();
      }
      // Some more traffic with the last line-up, then the load ends.
      const before = events.events.length;
      await eventually(
        'traffic after the churn',
        () => events.events.length >= before + 60,
        30_000,
      );
    } finally {
      load.stop();
      await writing;
    }
    expect(gracefulExits).toEqual([0]);
    expect(load.counts.sends).toBeGreaterThan(100);
    expect(load.counts.softDeletes).toBeGreaterThan(5);
    expect(load.counts.hardAfterSoft).toBeGreaterThan(2);
    expect(load.counts.hardDeletes).toBeGreaterThan(2);

    await eventually(
      'the outbox to drain',
      async () => (await outboxSize(databaseUrl)) === 0,
      60_000,
    );
    const expected = new Map<string, string[]>();
    for (const c of conversations)
      expected.set(c, await databaseHistory(databaseUrl, c, load.replacedSoftDeletions));
    const complete = () =>
      conversations.every((c) => kafkaHistory(events.events, c).length >= expected.get(c)!.length);
    await eventually('every change on Kafka', complete, 30_000).catch(() => undefined);
    for (const c of conversations) expect(kafkaHistory(events.events, c)).toEqual(expected.get(c));
    for (const history of expected.values()) {
      // Sends and deletions share one counter per conversation: 1, 2, 3... with no number twice
      // (no call failed, so none was wasted).
      expect(history.map((line) => Number(line.split(' ')[0]))).toEqual(
        history.map((_, i) => i + 1),
      );
    }
    // Every call the API acknowledged is in that history exactly once.
    const all = [...expected.values()].flat();
    const count = (kind: RegExp) => all.filter((line) => kind.test(line)).length;
    expect(count(/^\d+ sent /)).toBe(load.counts.sends);
    expect(count(/^\d+ deleted \S+ soft /)).toBe(load.counts.softDeletes);
    expect(count(/^\d+ deleted \S+ hard /)).toBe(
      load.counts.hardAfterSoft + load.counts.hardDeletes,
    );
    // The relay killed between Kafka's acknowledgement and the DELETE left its batch in the
    // outbox: the new owner sent it again, and the histories above hold because of the dedupe.
    const distinct = new Set(events.events.map((e) => e.headers['event-id'])).size;
    expect(events.events.length).toBeGreaterThan(distinct);
    await events.stop();
    await stack.stop();
  });
});
