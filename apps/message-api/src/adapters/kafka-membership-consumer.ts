import { EventEnvelope, EventType, MembershipChangedEvent } from '@realchat/proto';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { MembershipEventsListener } from './members-cache';
import { kafkaClientSecurity, type KafkaSecurity } from '@realchat/platform';

export interface KafkaMembershipConsumerOptions extends KafkaSecurity {
  readonly brokers: string[];
  readonly topic: string;
  /** This instance's own group: every instance must see every event. */
  readonly groupId: string;
  readonly clientId: string;
  /**
   * Longest a fetch waits for records; an idle consumer still reports a fetch this often, which
   * is how the cache knows it is alive (keep it well under the cache's liveness window).
   */
  readonly fetchWaitMs: number;
}

/**
 * Reads the Conversation API's MEMBERSHIP_CHANGED events (the only module of message-api that
 * knows kafkajs) and tells the listener: which conversation changed, and whether the consumer is
 * in its group, fetching and caught up. It reads new events only (a group of its own with no
 * committed offsets starts at the latest offset) and never commits: after a restart or a rejoin
 * it starts from the latest offset again, which the cache treats as "events were missed".
 *
 * It never stops the service: a broker that is down or a missing topic is retried with backoff
 * for as long as the process runs, while the cache uses its short TTL.
 */
export class KafkaMembershipConsumer {
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 0;

  constructor(
    private readonly options: KafkaMembershipConsumerOptions,
    private readonly listener: MembershipEventsListener,
    private readonly logger: Logger,
  ) {
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkaClientSecurity(options),
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 3000 },
      logLevel: logLevel.WARN,
      // A broker outage is reported once by main.ts (the cache's live/not-live transition);
      // kafkajs' own per-retry errors are kept at debug so they do not flood the log.
      logCreator:
        () =>
        ({ level, log }) => {
          const { message, ...extra } = log;
          kafkaLogger.debug({ ...extra, kafkajsLevel: level }, message);
        },
    });
  }

  /** Starts consuming in the background; failures are retried, never thrown. */
  start(): void {
    void this.run();
  }

  /** Leaves the group and disconnects (SIGTERM). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: this.options.fetchWaitMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts the consumer itself after a retriable crash (CRASH with restart=true);
      // a crash it does not restart from is handled below.
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 3000 },
    });
    this.consumer = consumer;
    const { GROUP_JOIN, FETCH, CRASH, DISCONNECT, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      this.backoffMs = 0;
      this.listener.joined(e.payload.memberAssignment[this.options.topic]?.length ?? 0);
    });
    consumer.on(FETCH, () => this.listener.fetched());
    consumer.on(CRASH, (e) => {
      this.listener.down(`consumer crashed: ${e.payload.error.message}`);
      if (!e.payload.restart) this.restart(consumer);
    });
    consumer.on(DISCONNECT, () => this.listener.down('consumer disconnected'));
    consumer.on(STOP, () => this.listener.down('consumer stopped'));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.options.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const id = conversationOf(m);
            if (id) this.listener.changed(id);
          }
          this.listener.behind(batch.partition, Number(batch.offsetLag()));
        },
      });
    } catch (e) {
      this.listener.down(`consumer could not start: ${(e as Error).message}`);
      this.restart(consumer);
    }
  }

  /** Disconnects `consumer` and runs a new one after a backoff (200 ms doubling to 10 s). */
  private restart(consumer: Consumer): void {
    if (this.stopped || this.consumer !== consumer) return;
    this.consumer = null;
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 200), 10_000);
    void consumer.disconnect().catch(() => undefined);
    this.logger.debug({ backoffMs: this.backoffMs }, 'membership events: consumer restarts');
    this.retry = setTimeout(() => void this.run(), this.backoffMs);
  }
}

/**
 * The conversation a record names: the MembershipChangedEvent's id, else the record key (every
 * record of the topic is keyed by conversation id), so that an event type this build does not
 * know yet still evicts rather than being ignored.
 */
function conversationOf(m: KafkaMessage): string | null {
  const key = m.key?.toString('utf8') || null;
  if (!m.value) return key;
  try {
    const envelope = EventEnvelope.decode(m.value);
    if (envelope.eventType === EventType.EVENT_TYPE_MEMBERSHIP_CHANGED)
      return MembershipChangedEvent.decode(envelope.payload).conversationId || key;
  } catch {
    // Not an envelope: evict by key all the same (a spurious eviction only costs one call).
  }
  return key;
}
