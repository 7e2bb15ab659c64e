import { randomUUID } from 'node:crypto';
import {
  EventEnvelope,
  EventType,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageSentEvent,
} from '@realchat/proto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { registerCleanup } from './cleanup-registry';

/** One record of the topic, decoded with the generated types. */
export interface ReceivedEvent {
  readonly key: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Record<string, string>;
  readonly envelope: EventEnvelope;
  readonly sent?: MessageSentEvent;
  readonly deleted?: MessageDeletedEvent;
  readonly edited?: MessageEditedEvent;
  /** Position of the change in the conversation (message, deletion or edit sequence). */
  readonly position: number;
}

/**
 * Creates `topic` (12 partitions, replicated like the relay's: min(3, brokers) replicas,
 * min.insync.replicas 2 from 3 replicas on) unless it exists, so that a consumer can subscribe
 * before the relay has run. `configEntries`: more topic settings.
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const replicationFactor = Math.min(3, brokers.length);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 12,
          replicationFactor,
          configEntries: [
            { name: 'min.insync.replicas', value: replicationFactor >= 3 ? '2' : '1' },
            ...configEntries,
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** A kafkajs consumer that collects every record of `topic` from the beginning. */
export class EventCollector {
  readonly events: ReceivedEvent[] = [];
  private stopped = false;
  private constructor(private readonly consumer: Consumer) {}

  static async start(
    topic: string,
    brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  ): Promise<EventCollector> {
    const kafka = new Kafka({
      clientId: 'e2e-collector',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    await ensureTopic(kafka, topic);
    const consumer = kafka.consumer({ groupId: `e2e-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const collector = new EventCollector(consumer);
    registerCleanup({ what: `consumer of ${topic}`, close: () => collector.stop() });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const envelope = EventEnvelope.decode(message.value!);
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        const sent =
          envelope.eventType === EventType.EVENT_TYPE_MESSAGE_SENT
            ? MessageSentEvent.decode(envelope.payload)
            : undefined;
        const deleted =
          envelope.eventType === EventType.EVENT_TYPE_MESSAGE_DELETED
            ? MessageDeletedEvent.decode(envelope.payload)
            : undefined;
        const edited =
          envelope.eventType === EventType.EVENT_TYPE_MESSAGE_EDITED
            ? MessageEditedEvent.decode(envelope.payload)
            : undefined;
        collector.events.push({
          key: message.key!.toString(),
          partition,
          offset: message.offset,
          headers,
          envelope,
          sent,
          deleted,
          edited,
          position:
            sent?.message?.sequence ??
            deleted?.deletionSequence ??
            edited?.message?.editSequence ??
            0,
        });
      },
    });
    return collector;
  }

  forKey(key: string): ReceivedEvent[] {
    return this.events.filter((e) => e.key === key);
  }

  /** Polls until `done` holds over the collected events, or fails after `timeoutMs`. */
  async waitUntil(
    what: string,
    done: (events: ReceivedEvent[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (done(this.events)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; have ${this.events.length} events`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.consumer.disconnect();
  }
}
