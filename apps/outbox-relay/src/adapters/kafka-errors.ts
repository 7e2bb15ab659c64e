import { KafkaJSError } from 'kafkajs';
import { PublishError } from '../relay/ports';

/** Kafka error types that no retry of the same record can fix: the row's own fault. */
export const RECORD_ERRORS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
]);

/**
 * Kafka error types of a cluster that cannot take writes right now: too few in-sync replicas
 * (min.insync.replicas with acks=all), a partition between leaders, a broker that is gone. They
 * say nothing about the records, so they must never spend a row's attempts. Everything that is
 * not a RECORD_ERRORS type is treated the same way; this list names the ones a broker failover
 * produces, so that a change to the rule above cannot quietly turn them into row failures
 * (test/kafka-errors.spec.ts).
 */
export const OUTAGE_ERRORS: ReadonlySet<string> = new Set([
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

type Chained = { type?: string; name?: string; cause?: unknown; originalError?: unknown };

/**
 * A kafkajs failure as the relay sees it: `record` when Kafka refused one of the records for
 * good, `broker` for anything else (an outage: the batch is retried later, no attempts spent).
 * The reason is the Kafka error type found in the chain (kafkajs wraps the broker's answer in
 * retry and aggregate errors), else the kafkajs error name; it labels the outage metrics.
 */
export function classifyKafkaError(e: unknown): PublishError {
  const types: string[] = [];
  const queue: unknown[] = [e];
  for (let seen = 0; queue.length > 0 && seen < 20; seen++) {
    const cur = queue.shift() as Chained | undefined;
    if (!cur || typeof cur !== 'object') continue;
    if (cur.type) types.push(cur.type);
    queue.push(cur.originalError, cur.cause, ...((cur as { errors?: unknown[] }).errors ?? []));
  }
  const message = e instanceof KafkaJSError || e instanceof Error ? e.message : String(e);
  const recordType = types.find((t) => RECORD_ERRORS.has(t));
  if (recordType)
    return new PublishError('record', `${recordType}: ${message}`, {
      cause: e,
      reason: recordType,
    });
  const reason = types[0] ?? (e as Chained)?.name ?? 'unknown';
  return new PublishError('broker', message, { cause: e, reason });
}
