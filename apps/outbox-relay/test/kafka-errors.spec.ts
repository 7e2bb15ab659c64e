import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { classifyKafkaError, OUTAGE_ERRORS, RECORD_ERRORS } from '../src/adapters/kafka-errors';

/** A broker's error answer as kafkajs raises it, after its own retries ran out. */
function afterRetries(type: string, code = 0): Error {
  const answer = new KafkaJSProtocolError({
    message: `${type} (test)`,
    type,
    code,
    retriable: true,
  } as never);
  return new KafkaJSNumberOfRetriesExceeded(answer, { retryCount: 3, retryTime: 800 });
}

describe('classifyKafkaError', () => {
  // A failover must pause the relay, never spend a row's attempts (docs/outbox-relay.md).
  it.each([
    'NOT_ENOUGH_REPLICAS',
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    'LEADER_NOT_AVAILABLE',
    'NOT_LEADER_FOR_PARTITION',
    'REQUEST_TIMED_OUT',
  ])('%s is an outage (broker), labelled with its type', (type) => {
    const e = classifyKafkaError(afterRetries(type));
    expect([e.kind, e.reason]).toEqual(['broker', type]);
  });

  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'])(
    "%s is the record's own fault",
    (type) => {
      const e = classifyKafkaError(afterRetries(type));
      expect([e.kind, e.reason]).toEqual(['record', type]);
    },
  );

  it('names client-side failures by their kafkajs error', () => {
    const refused = new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1', {
      broker: '127.0.0.1:1',
    } as never);
    expect(classifyKafkaError(refused)).toMatchObject({
      kind: 'broker',
      reason: 'KafkaJSConnectionError',
    });
    const slow = new KafkaJSRequestTimeoutError('Request Produce timed out', {} as never);
    expect(classifyKafkaError(slow).kind).toBe('broker');
  });

  it('no outage type is ever a record error', () => {
    for (const type of OUTAGE_ERRORS) expect(RECORD_ERRORS.has(type)).toBe(false);
  });
});
