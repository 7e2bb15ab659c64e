import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { KafkaSink } from '../../src/adapters/kafka-sink';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** A record as read back from the broker (or the fake sink). */
export interface ReadRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

export function kafkaClient(clientId = 'relay-test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/** A KafkaSink on the test broker that publishes to `topic` (a one-partition topic of its own). */
export function kafkaSink(topic: string, clientId: string, logger: Logger): KafkaSink {
  return new KafkaSink(
    {
      brokers,
      clientId,
      topic,
      topicPartitions: 1,
      topicReplicationFactor: 1,
      requestTimeoutMs: 5000,
    },
    logger,
  );
}

/** Creates `topic` with `partitions` and topic-level `configs` (e.g. max.message.bytes). */
export async function createTopic(
  topic: string,
  partitions = 1,
  configs: Record<string, string> = {},
): Promise<void> {
  const admin = kafkaClient('relay-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Changes topic-level settings (e.g. to raise max.message.bytes once a record was parked). */
export async function alterTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafkaClient('relay-test-admin').admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2, // ConfigResourceTypes.TOPIC
          name: topic,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topic` from the beginning until `done(records)` holds or `ms` passed. Records of one
 * partition come in offset order, so per key the order is the order on the broker.
 */
export async function readTopic(
  topic: string,
  done: (records: readonly ReadRecord[]) => boolean,
  ms = 20_000,
): Promise<ReadRecord[]> {
  const consumer = kafkaClient('relay-test-reader').consumer({
    groupId: `g-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const seen: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        seen.push({
          key: String(message.key),
          value: message.value ?? Buffer.alloc(0),
          headers,
          timestamp: Number(message.timestamp),
        });
      },
    });
    const deadline = Date.now() + ms;
    while (!done(seen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
