import { ConversationMembers } from '@realchat/domain';
import { MembersCache, type MembersCacheOptions } from '../src/adapters/members-cache';

/** The cache's rules on a fake clock: which TTL an entry gets, and which fills are dropped. */
describe('MembersCache', () => {
  const SHORT = 1000;
  const LONG = 60_000;
  const LIVENESS = 3000;
  let now: number;
  let cache: MembersCache;
  let transitions: string[];

  const members = (conversationId: string, ...users: string[]) =>
    ConversationMembers.of(
      conversationId,
      users.map((userId) => ({ userId, role: 'member' as const })),
    );

  /** A load the test finishes by hand, to put events between a call and its answer. */
  function pendingLoad() {
    let resolve!: (m: ConversationMembers) => void;
    const promise = new Promise<ConversationMembers>((r) => (resolve = r));
    return { load: () => promise, resolve };
  }

  function make(options: Partial<MembersCacheOptions> = {}) {
    transitions = [];
    cache = new MembersCache({
      shortTtlMs: SHORT,
      eventTtlMs: LONG,
      livenessMs: LIVENESS,
      maxLag: 100,
      max: 100,
      now: () => now,
      observer: {
        live: (live, reason) => transitions.push(`${live ? 'live' : 'down'}: ${reason}`),
      },
      ...options,
    });
  }

  /**
   * The Conversation API said it announces changes on the topic, and the consumer joined with
   * partitions and fetched once: events are live.
   */
  function goLive() {
    cache.announcedBy(true);
    cache.joined(3);
    cache.fetched();
  }

  /** Fetches every second (an idle consumer) while `ms` pass. */
  function idleFor(ms: number) {
    for (let t = 0; t < ms; t += 1000) {
      now += 1000;
      cache.fetched();
    }
  }

  beforeEach(() => {
    now = 1_000_000;
    make();
  });

  it('keeps an entry filled while live for the event TTL, not the short one', async () => {
    goLive();
    await cache.fill('c', async () => members('c', 'alice'));
    idleFor(30_000);
    expect(cache.get('c')?.roleOf('alice')).toBeDefined();
    idleFor(31_000);
    expect(cache.get('c')).toBeUndefined();
  });

  it('gives the short TTL when the consumer is not live (not joined, or joined but not fetched)', async () => {
    await cache.fill('a', async () => members('a', 'alice'));
    cache.joined(3);
    await cache.fill('b', async () => members('b', 'alice'));
    now += SHORT + 1;
    cache.fetched(); // live from now on: entries filled before keep their short TTL
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('gives the short TTL to a fill that began before the consumer was live', async () => {
    const { load, resolve } = pendingLoad();
    const lookup = cache.fill('c', load);
    goLive(); // the answer may predate the offsets the consumer starts from
    resolve(members('c', 'alice'));
    await lookup;
    now += SHORT + 1;
    cache.fetched();
    expect(cache.get('c')).toBeUndefined();
  });

  it('evicts a conversation on its event, and only that one', async () => {
    goLive();
    await cache.fill('c', async () => members('c', 'alice', 'bob'));
    await cache.fill('d', async () => members('d', 'alice', 'bob'));
    cache.changed('c');
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('d')).toBeDefined();
  });

  it('does not store an answer fetched before an eviction that arrives before the answer', async () => {
    goLive();
    const { load, resolve } = pendingLoad();
    const lookup = cache.fill('c', load);
    cache.changed('c'); // bob removed: the call in flight may have read him as a member
    resolve(members('c', 'alice', 'bob'));
    // The caller that was waiting still gets the answer...
    expect((await lookup).roleOf('bob')).toBeDefined();
    // ...but it is not cached, and a new lookup does not join the overtaken call.
    expect(cache.get('c')).toBeUndefined();
    const fresh = await cache.fill('c', async () => members('c', 'alice'));
    expect(fresh.roleOf('bob')).toBeUndefined();
    expect(cache.get('c')?.roleOf('bob')).toBeUndefined();
  });

  it('shares one call among concurrent lookups of a conversation', async () => {
    goLive();
    let calls = 0;
    const { load, resolve } = pendingLoad();
    const counted = () => (calls++, load());
    const both = Promise.all([cache.fill('c', counted), cache.fill('c', counted)]);
    resolve(members('c', 'alice'));
    await both;
    expect(calls).toBe(1);
  });

  it.each([
    ['the consumer reports it is down', () => cache.down('consumer crashed')],
    ['the consumer rejoins (from the latest offsets)', () => cache.joined(3)],
    ['no fetch comes within the liveness window', () => (now += LIVENESS + 1)],
    ['a partition lags', () => cache.behind(0, 101)],
  ])('clears everything and falls back to the short TTL when %s', async (_, happen) => {
    goLive();
    await cache.fill('c', async () => members('c', 'alice'));
    const { load, resolve } = pendingLoad();
    const inFlight = cache.fill('d', load);
    happen();
    expect(cache.get('c')).toBeUndefined();
    resolve(members('d', 'alice'));
    await inFlight;
    expect(cache.get('d')).toBeUndefined(); // begun while live, answered after: not stored
    expect(transitions).toEqual([expect.stringMatching(/^live/), expect.stringMatching(/^down/)]);
    // Until live again, entries last the short TTL.
    await cache.fill('e', async () => members('e', 'alice'));
    now += SHORT + 1;
    expect(cache.get('e')).toBeUndefined();
  });

  it('does not trust entries across a fetch gap even when no lookup saw the gap', async () => {
    goLive();
    await cache.fill('c', async () => members('c', 'alice'));
    now += LIVENESS + 1;
    cache.fetched(); // back, but events of the gap may have been missed or come late
    expect(cache.get('c')).toBeUndefined();
  });

  it('uses the short TTL alone when the event TTL is 0 (no brokers configured)', async () => {
    make({ eventTtlMs: 0 });
    goLive();
    await cache.fill('c', async () => members('c', 'alice'));
    now += SHORT + 1;
    cache.fetched();
    expect(cache.get('c')).toBeUndefined();
    expect(transitions).toEqual([]);
  });

  it('caches nothing while not live when the short TTL is 0', async () => {
    make({ shortTtlMs: 0 });
    await cache.fill('c', async () => members('c', 'alice'));
    expect(cache.get('c')).toBeUndefined();
  });

  it('is not live while the Conversation API has not said it announces changes on the topic', async () => {
    // A consumer of a topic nobody publishes to fetches and sees nothing: it looks live.
    cache.joined(3);
    cache.fetched();
    await cache.fill('c', async () => members('c', 'alice'));
    now += SHORT + 1;
    expect(cache.get('c')).toBeUndefined();
    expect(transitions).toEqual([]);
  });

  it('drops what it cached and falls back when an answer says changes are not announced', async () => {
    goLive();
    await cache.fill('c', async () => members('c', 'alice'));
    now += SHORT + 1;
    expect(cache.get('c')).toBeDefined(); // long TTL while announced
    cache.announcedBy(false);
    expect(cache.get('c')).toBeUndefined();
    await cache.fill('d', async () => members('d', 'alice'));
    now += SHORT + 1;
    expect(cache.get('d')).toBeUndefined();
    expect(transitions.at(-1)).toMatch(/^down: the Conversation API does not announce/);
    cache.announcedBy(true);
    cache.fetched(); // the consumer kept fetching meanwhile
    await cache.fill('e', async () => members('e', 'alice'));
    now += SHORT + 1;
    expect(cache.get('e')).toBeDefined();
  });
});
