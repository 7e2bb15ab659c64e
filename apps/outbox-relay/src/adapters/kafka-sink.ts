import { Admin, CompressionTypes, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { PublishError, type EventSink, type OutboxRecord } from '../relay/ports';
import { classifyKafkaError } from './kafka-errors';
import { startProduceSpans } from './produce-spans';
import {
  isTopicAlreadyExists,
  kafkaClientSecurity,
  topicReplication,
  type KafkaSecurity,
} from '@realchat/platform';

export interface KafkaSinkOptions extends KafkaSecurity {
  readonly brokers: string[];
  readonly clientId: string;
  readonly topic: string;
  readonly topicPartitions: number;
  /** Replication factor of a new topic; 0: min(3, brokers) (libs/platform topic-replication.ts). */
  readonly topicReplicationFactor: number;
  /** min.insync.replicas of a new topic; 0: 2 with 3+ replicas, else 1. */
  readonly topicMinInsyncReplicas?: number;
  readonly requestTimeoutMs: number;
}

/**
 * The EventSink on Kafka, the only module that knows kafkajs: an idempotent producer (acks=all,
 * one request in flight). Records are keyed by conversation id, so one conversation's events
 * share a partition and keep their order.
 */
export class KafkaSink implements EventSink {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  /**
   * Bumped by every connect() and close(): a connect that the relay gave up on (it hung while
   * brokers restarted) and that finishes later must not install its producer behind a newer
   * connect or a close.
   */
  private generation = 0;

  constructor(
    private readonly options: KafkaSinkOptions,
    private readonly logger: Logger,
  ) {
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      requestTimeout: options.requestTimeoutMs,
      ...kafkaClientSecurity(options),
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }) => {
          const { message, ...extra } = log;
          // Expected: we limit retries on purpose so that an outage surfaces as an error here.
          if (message.includes('Limiting retries for the idempotent producer')) return;
          // kafkajs logs every error response at ERROR, also those it retries (coordinator
          // loading, topic already exists): warnings for us. The relay logs real failures.
          kafkaLogger.warn({ ...extra, kafkajsLevel: level }, message);
        },
    });
  }

  get connected(): boolean {
    return this.producer !== null;
  }

  /** Connects a fresh producer and creates the topic if it is missing. */
  async connect(): Promise<void> {
    await this.close();
    const generation = ++this.generation;
    try {
      const producer = await this.connectProducer();
      if (generation !== this.generation) {
        await producer.disconnect().catch(() => undefined);
        throw new Error('connect abandoned: a newer connect or a close came first');
      }
      this.producer = producer;
    } catch (e) {
      // Never the records' fault: nothing was sent yet.
      const { reason } = classifyKafkaError(e);
      throw new PublishError('broker', connectFailure(e), { cause: e, reason });
    }
  }

  private async connectProducer(): Promise<Producer> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await this.createTopic(admin);
    } catch (e) {
      // Another client created it at the same moment: that is what we wanted.
      if (!isTopicAlreadyExists(e)) throw e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    await producer.connect();
    return producer;
  }

  /** Creates the topic unless it exists, replicated as far as the cluster allows. */
  private async createTopic(admin: Admin): Promise<void> {
    const { topic } = this.options;
    // Cheap on every reconnect: only a missing topic costs a describeCluster and a create.
    if ((await admin.listTopics()).includes(topic)) return;
    const { brokers } = await admin.describeCluster();
    const r = topicReplication(brokers.length, {
      replicationFactor: this.options.topicReplicationFactor,
      minInsyncReplicas: this.options.topicMinInsyncReplicas ?? 0,
    });
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: this.options.topicPartitions,
          replicationFactor: r.replicationFactor,
          configEntries: [{ name: 'min.insync.replicas', value: String(r.minInsyncReplicas) }],
        },
      ],
    });
    if (created)
      this.logger.info(
        { topic, brokers: brokers.length, ...r, partitions: this.options.topicPartitions },
        'created Kafka topic',
      );
  }

  async close(): Promise<void> {
    this.generation++;
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  /** Sends records in order and resolves once Kafka acknowledged all of them (acks=all). */
  async publish(records: readonly OutboxRecord[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new PublishError('broker', 'Kafka producer is not connected');
    const spans = startProduceSpans(this.options.topic, records);
    try {
      await producer.send({
        topic: this.options.topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: records.map((r, i) => ({
          key: r.key,
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: spans.headers[i],
        })),
      });
      spans.end();
    } catch (e) {
      const error = classifyKafkaError(e);
      spans.end(error);
      throw error;
    }
  }
}

/**
 * Why connecting failed. Refused credentials are said plainly with the variables to check: they
 * look like an outage otherwise (the relay keeps retrying and stays not ready either way).
 */
function connectFailure(e: unknown): string {
  const message = (e as Error).message;
  if ((e as Error).name === 'KafkaJSSASLAuthenticationError') {
    return `Kafka refused the relay's credentials (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD): ${message}`;
  }
  return message;
}
