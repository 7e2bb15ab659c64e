import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { registerCleanup } from './cleanup-registry';

/**
 * A topic name of the test's own (`<prefix>-<uuid>`), deleted when the test (or suite) ends, so
 * that test topics do not pile up on a shared broker run after run. Deletion is best effort: a
 * dedicated broker may already be gone, and a leftover topic harms no other test.
 */
export function testTopic(
  prefix: string,
  brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
): string {
  const topic = `${prefix}-${randomUUID()}`;
  registerCleanup({
    what: `topic ${topic}`,
    close: async () => {
      const admin = new Kafka({
        clientId: 'e2e-cleanup',
        brokers: brokers.split(','),
        logLevel: logLevel.NOTHING,
        retry: { retries: 1 },
        connectionTimeout: 1000,
      }).admin();
      try {
        await admin.connect();
        await admin.deleteTopics({ topics: [topic], timeout: 5000 });
      } catch {
        // best effort (see above)
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  });
  return topic;
}
