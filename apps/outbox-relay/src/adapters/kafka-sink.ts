import {
  CompressionTypes,
  Kafka,
  KafkaJSError,
  logLevel,
  Partitioners,
  Producer,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import { PublishError, type EventSink, type OutboxRecord } from '../relay/ports';
import { startProduceSpans } from './produce-spans';

export interface KafkaSinkOptions {
  readonly brokers: string[];
  readonly clientId: string;
  readonly topic: string;
  readonly topicPartitions: number;
  readonly topicReplicationFactor: number;
  readonly requestTimeoutMs: number;
  /** TLS to the brokers (PEM strings; unset CA: the system's roots); unset: plaintext. */
  readonly ssl?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** SASL authentication; unset: none. */
  readonly sasl?: {
    readonly mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
    readonly username: string;
    readonly password: string;
  };
}

// Kafka error types that no retry of the same record can fix.
const RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
]);

/**
 * The EventSink on Kafka, the only module that knows kafkajs: an idempotent producer (acks=all,
 * one request in flight). Records are keyed by conversation id, so one conversation's events
 * share a partition and keep their order.
 */
export class KafkaSink implements EventSink {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;

  constructor(
    private readonly options: KafkaSinkOptions,
    private readonly logger: Logger,
  ) {
    const kafkaLogger = logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      requestTimeout: options.requestTimeoutMs,
      ssl: options.ssl
        ? {
            ca: options.ssl.ca ? [options.ssl.ca] : undefined,
            cert: options.ssl.cert,
            key: options.ssl.key,
          }
        : undefined,
      // kafkajs types SASL options as a union per mechanism; ours is one of them.
      sasl: options.sasl ? ({ ...options.sasl } as SASLOptions) : undefined,
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
    try {
      await this.connectProducer();
    } catch (e) {
      throw new PublishError('broker', connectFailure(e), { cause: e });
    }
  }

  private async connectProducer(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.options.topic,
            numPartitions: this.options.topicPartitions,
            replicationFactor: this.options.topicReplicationFactor,
          },
        ],
      });
      if (created) this.logger.info({ topic: this.options.topic }, 'created Kafka topic');
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
    this.producer = producer;
  }

  async close(): Promise<void> {
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
      const error = classify(e);
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

function isTopicAlreadyExists(e: unknown): boolean {
  const errors = (e as { errors?: { type?: string }[] }).errors ?? [e as { type?: string }];
  return errors.length > 0 && errors.every((x) => x?.type === 'TOPIC_ALREADY_EXISTS');
}

function classify(e: unknown): PublishError {
  for (
    let cur = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0;
    cur && i < 5;
    i++
  ) {
    if (cur.type && RECORD_ERRORS.has(cur.type)) {
      return new PublishError('record', `${cur.type}: ${(cur as Error).message}`, { cause: e });
    }
    cur = (cur.originalError ?? cur.cause) as typeof cur;
  }
  const message = e instanceof KafkaJSError || e instanceof Error ? e.message : String(e);
  return new PublishError('broker', message, { cause: e });
}
