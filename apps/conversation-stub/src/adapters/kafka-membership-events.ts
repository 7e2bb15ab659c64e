import { randomUUID } from 'node:crypto';
import { PARTICIPANT_ROLE_CODE } from '@realchat/domain';
import {
  EventEnvelope,
  EventType,
  MembershipChange,
  MembershipChangedEvent,
  ParticipantRole,
} from '@realchat/proto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { MembershipChanged, MembershipEvents } from '../app/membership-events';
import {
  isTopicAlreadyExists,
  kafkaClientSecurity,
  topicReplication,
  type KafkaSecurity,
} from '@realchat/platform';

export interface KafkaMembershipEventsOptions extends KafkaSecurity {
  readonly brokers: string[];
  readonly topic: string;
  readonly clientId: string;
}

/** Partitions of the topic when this stub creates it (production creates its topics itself). */
const TOPIC_PARTITIONS = 6;
/** A publish that cannot finish in about this long fails the call (UNAVAILABLE) instead. */
const REQUEST_TIMEOUT_MS = 5000;

/**
 * MembershipEvents on Kafka, the only module of the stub that knows kafkajs. Each change is one
 * record keyed by conversation id, value a realchat.shared.v1.EventEnvelope wrapping a
 * realchat.conversation.v1.MembershipChangedEvent, sent with acks=all. The producer is not
 * idempotent and sends concurrently: consumers treat each event as "re-read this conversation",
 * so duplicates and the order between two changes do not matter (docs/membership-cache.md).
 */
export class KafkaMembershipEvents implements MembershipEvents {
  readonly topic: string;
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | null = null;

  constructor(
    private readonly options: KafkaMembershipEventsOptions,
    private readonly logger: Logger,
  ) {
    this.topic = options.topic;
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkaClientSecurity(options),
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionTimeout: 3000,
      // Few, short retries: the caller is waiting, and retries the whole call on UNAVAILABLE.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }) => {
          const { message, ...extra } = log;
          kafkaLogger.warn({ ...extra, kafkajsLevel: level }, message);
        },
    });
  }

  /**
   * Connects at start-up so the first change does not pay for it, and creates the topic if it
   * is missing. A broker that is down does not stop the stub: reads and NextSequence need no
   * Kafka, and each membership change connects again (and fails UNAVAILABLE while it cannot).
   */
  async start(): Promise<void> {
    try {
      await this.connected();
      this.logger.info({ topic: this.options.topic }, 'membership events: producer connected');
    } catch (e) {
      this.logger.warn(
        { topic: this.options.topic, err: e },
        'membership events: Kafka unreachable; membership changes fail until it is back',
      );
    }
  }

  async published(e: MembershipChanged): Promise<void> {
    const producer = await this.connected();
    const payload = MembershipChangedEvent.encode({
      conversationId: e.conversationId,
      userId: e.userId,
      change:
        e.change === 'added'
          ? MembershipChange.MEMBERSHIP_CHANGE_ADDED
          : MembershipChange.MEMBERSHIP_CHANGE_REMOVED,
      role: e.role
        ? (PARTICIPANT_ROLE_CODE[e.role] as ParticipantRole)
        : ParticipantRole.PARTICIPANT_ROLE_UNSPECIFIED,
      actorUserId: e.actorUserId,
      changedAt: e.changedAt,
    }).finish();
    const value = EventEnvelope.encode({
      eventType: EventType.EVENT_TYPE_MEMBERSHIP_CHANGED,
      schemaVersion: 1,
      occurredAt: e.changedAt,
      payload: Buffer.from(payload),
    }).finish();
    await producer.send({
      topic: this.options.topic,
      acks: -1, // all in-sync replicas: the change is acknowledged only once its event is durable
      timeout: REQUEST_TIMEOUT_MS,
      messages: [
        {
          key: e.conversationId,
          value: Buffer.from(value),
          headers: {
            'event-id': randomUUID(),
            'event-type': 'EVENT_TYPE_MEMBERSHIP_CHANGED',
            'content-type': 'application/x-protobuf; messageType=realchat.shared.v1.EventEnvelope',
            'schema-version': '1',
          },
        },
      ],
    });
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    const p = await producer?.catch(() => null);
    await p?.disconnect().catch(() => undefined);
  }

  /** The connected producer; a failed connect is forgotten so the next call tries again. */
  private connected(): Promise<Producer> {
    this.producer ??= this.connect().catch((e: unknown) => {
      this.producer = null;
      throw e;
    });
    return this.producer;
  }

  private async connect(): Promise<Producer> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(this.options.topic)) {
        const { brokers } = await admin.describeCluster();
        // Derived from the cluster, as the relay does when nothing is configured.
        const { replicationFactor, minInsyncReplicas } = topicReplication(brokers.length, {
          replicationFactor: 0,
          minInsyncReplicas: 0,
        });
        await admin
          .createTopics({
            waitForLeaders: true,
            topics: [
              {
                topic: this.options.topic,
                numPartitions: TOPIC_PARTITIONS,
                replicationFactor,
                configEntries: [
                  {
                    name: 'min.insync.replicas',
                    value: String(minInsyncReplicas),
                  },
                ],
              },
            ],
          })
          .catch((e: unknown) => {
            // Another process created it at the same moment: that is what we wanted.
            if (!isTopicAlreadyExists(e)) throw e;
          });
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return producer;
  }
}
