import type { ConversationMembers } from '@realchat/domain';
import { LRUCache } from 'lru-cache';

/**
 * What the membership-events consumer reports (adapters/kafka-membership-consumer.ts). The cache
 * decides from these alone whether events are "live", i.e. whether a change committed now will
 * evict it within a bounded time.
 */
export interface MembershipEventsListener {
  /** The consumer (re)joined its group with `partitions` partitions of the topic assigned. */
  joined(partitions: number): void;
  /** A fetch round finished: its offsets are resolved and it is reading the topic. */
  fetched(): void;
  /** After a batch of `partition`: records of it not read yet. */
  behind(partition: number, lag: number): void;
  /** A record said this conversation's members changed. */
  changed(conversationId: string): void;
  /** The consumer failed, disconnected or stopped: events may be missed from now on. */
  down(reason: string): void;
}

export interface MembersCacheOptions {
  /** TTL while events are not live (MEMBERS_CACHE_TTL_MS); 0: nothing is cached then. */
  readonly shortTtlMs: number;
  /** TTL of an entry filled while events are live (MEMBERS_CACHE_EVENT_TTL_MS). */
  readonly eventTtlMs: number;
  /** Events count as live only while the consumer's last fetch is at most this old. */
  readonly livenessMs: number;
  /** ... and no partition is more than this many records behind. */
  readonly maxLag: number;
  /** Most conversations kept (least recently used ones are dropped). */
  readonly max: number;
  /** Milliseconds clock (unit tests pass a fake one). */
  readonly now?: () => number;
  /** Told about evictions and about events turning live or not (metrics and logs). */
  readonly observer?: MembersCacheObserver;
}

export interface MembersCacheObserver {
  /** One conversation evicted by an event, or the whole cache cleared on a fallback. */
  readonly evicted?: (reason: 'event' | 'fallback') => void;
  /** Events became live (long TTL) or stopped being live (short TTL), with why. */
  readonly live?: (live: boolean, reason: string) => void;
}

interface Entry {
  readonly members: ConversationMembers;
  readonly expiresAt: number;
}

/** A GetConversation in flight; `stale` once an eviction or a fallback came after it began. */
interface Fill {
  lookup?: Promise<ConversationMembers>;
  /** Whether events were live when the call was sent (a condition of the long TTL). */
  readonly liveAtStart: boolean;
  stale: boolean;
}

/**
 * Members by conversation with two TTLs (docs/membership-cache.md): the long event TTL only for
 * entries whose whole fill happened while the MEMBERSHIP_CHANGED consumer was live, the short
 * one otherwise. Concurrent lookups of one conversation share one fill.
 *
 * Races it guards against:
 * - A GetConversation answered before a change but stored after that change's eviction would
 *   keep the old members for the whole TTL: an eviction marks the conversation's fill stale,
 *   and a stale fill answers its callers but is not stored. Later callers do not join it.
 * - A fill begun before the consumer was live (not joined, offsets not yet resolved) may have
 *   read members whose change event the consumer will never see: it gets the short TTL.
 * - A consumer that fails (or rejoins from the latest offset) misses events: every entry is
 *   dropped and every fill in flight is made stale, and fills take the short TTL until live.
 */
export class MembersCache implements MembershipEventsListener {
  private readonly entries: LRUCache<string, Entry>;
  private readonly fills = new Map<string, Fill>();
  private readonly now: () => number;
  private joinedPartitions = 0;
  private fetchedSinceJoin = false;
  private lastFetchAt = -Infinity;
  private readonly lag = new Map<number, number>();
  /**
   * Whether the Conversation API said (in its last GetConversation answer) that it announces
   * membership changes on the consumed topic. Unknown at start: not live until it says so.
   */
  private announced = false;
  /** What the last look said; a change of it is reported once. */
  private wasLive = false;

  constructor(private readonly options: MembersCacheOptions) {
    this.entries = new LRUCache({ max: options.max });
    this.now = options.now ?? Date.now;
  }

  /** The cached members, or undefined (expired or never filled). */
  get(conversationId: string): ConversationMembers | undefined {
    this.checkLive();
    const entry = this.entries.get(conversationId);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.members;
    this.entries.delete(conversationId);
    return undefined;
  }

  /** Members from `load`, shared with the fill already in flight for this conversation. */
  fill(
    conversationId: string,
    load: () => Promise<ConversationMembers>,
  ): Promise<ConversationMembers> {
    const running = this.fills.get(conversationId);
    if (running?.lookup) return running.lookup;
    const fill: Fill = { liveAtStart: this.checkLive(), stale: false };
    this.fills.set(conversationId, fill);
    fill.lookup = this.settle(conversationId, fill, load());
    return fill.lookup;
  }

  /** Stores what a fill read unless an eviction or a fallback came after it began. */
  private async settle(
    conversationId: string,
    fill: Fill,
    loading: Promise<ConversationMembers>,
  ): Promise<ConversationMembers> {
    try {
      const members = await loading;
      // Long only if events were live for the whole fill: when it was sent and now.
      const ttl =
        fill.liveAtStart && this.checkLive() ? this.options.eventTtlMs : this.options.shortTtlMs;
      if (!fill.stale && ttl > 0)
        this.entries.set(conversationId, { members, expiresAt: this.now() + ttl });
      return members;
    } finally {
      if (this.fills.get(conversationId) === fill) this.fills.delete(conversationId);
    }
  }

  /** Whether events are live now (reports and acts on a change). */
  private checkLive(): boolean {
    const reason = this.notLiveReason();
    const live = reason === null;
    if (live !== this.wasLive) {
      this.wasLive = live;
      if (!live) this.clear();
      this.options.observer?.live?.(live, reason ?? 'consumer reading');
    }
    return live;
  }

  /**
   * What the Conversation API's last answer said: whether it announces every membership change
   * on the topic this cache's consumer reads. A consumer reading a topic that nobody publishes
   * to looks live (it fetches, nothing arrives), so without this a Conversation API that does
   * not publish, or publishes elsewhere, would leave removals unseen for the whole event TTL.
   */
  announcedBy(yes: boolean): void {
    if (yes === this.announced) return;
    this.announced = yes;
    if (!yes) this.fallback('the Conversation API does not announce changes on this topic');
    this.checkLive();
  }

  joined(partitions: number): void {
    // A (re)join starts from the latest offsets: whatever happened meanwhile was not seen.
    this.fallback(`rejoined with ${partitions} partitions`);
    this.joinedPartitions = partitions;
    this.fetchedSinceJoin = false;
    this.lag.clear();
  }

  fetched(): void {
    const now = this.now();
    // A gap longer than the liveness window, even if no lookup noticed it: events of that time
    // may have come late, so what was cached then is not trusted.
    if (this.wasLive && now - this.lastFetchAt > this.options.livenessMs)
      this.fallback('fetches stalled');
    this.lastFetchAt = now;
    if (this.joinedPartitions > 0) this.fetchedSinceJoin = true;
    this.checkLive();
  }

  behind(partition: number, lag: number): void {
    this.lag.set(partition, lag);
    this.checkLive();
  }

  changed(conversationId: string): void {
    this.entries.delete(conversationId);
    const fill = this.fills.get(conversationId);
    if (fill) {
      fill.stale = true;
      this.fills.delete(conversationId);
    }
    this.options.observer?.evicted?.('event');
  }

  down(reason: string): void {
    this.joinedPartitions = 0;
    this.fetchedSinceJoin = false;
    this.fallback(reason);
  }

  /** Why events are not live now; null when they are (the one statement of the rule). */
  private notLiveReason(): string | null {
    if (this.options.eventTtlMs <= 0) return 'no event TTL';
    if (!this.announced) return 'the Conversation API has not said it announces changes here';
    if (this.joinedPartitions === 0) return 'consumer not in its group';
    if (!this.fetchedSinceJoin) return 'consumer has not fetched yet';
    if (this.now() - this.lastFetchAt > this.options.livenessMs) return 'consumer stopped fetching';
    if (this.lagging()) return 'consumer lagging';
    return null;
  }

  /** Whether a partition is too far behind (checked on every lookup: no allocation). */
  private lagging(): boolean {
    for (const lag of this.lag.values()) if (lag > this.options.maxLag) return true;
    return false;
  }

  /** Drops everything cached and in flight, if events were live (else nothing was long-lived). */
  private fallback(reason: string): void {
    if (!this.wasLive) return;
    this.wasLive = false;
    this.clear();
    this.options.observer?.live?.(false, reason);
  }

  private clear(): void {
    this.entries.clear();
    for (const fill of this.fills.values()) fill.stale = true;
    this.fills.clear();
    this.options.observer?.evicted?.('fallback');
  }
}
