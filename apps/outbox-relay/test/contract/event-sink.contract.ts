import { randomUUID } from 'node:crypto';
import { ENVELOPE_CONTENT_TYPE } from '@realchat/persistence/outbox';
import { isPublishError, type EventSink, type OutboxRecord } from '../../src/relay/ports';

/** A record as the destination holds it. */
export interface StoredRecord {
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Record<string, string>;
}

/** How one EventSink implementation is set up for the contract. */
export interface SinkHarness {
  /**
   * A sink to a fresh destination that refuses records above `maxRecordBytes`, and a reader
   * that returns what the destination holds once it holds `count` records (or its deadline).
   */
  create(maxRecordBytes: number): Promise<{
    sink: EventSink;
    read(count: number): Promise<StoredRecord[]>;
  }>;
  /** A sink whose broker cannot be reached. */
  unreachable(): Promise<EventSink>;
}

function record(key: string, extra: Record<string, string> = {}, value?: Uint8Array): OutboxRecord {
  const eventId = randomUUID();
  return {
    key,
    value: value ?? Buffer.from(`value of ${eventId}`),
    headers: {
      'event-id': eventId,
      'event-type': 'EVENT_TYPE_MESSAGE_SENT',
      'content-type': ENVELOPE_CONTENT_TYPE,
      'schema-version': '1',
      ...extra,
    },
  };
}

/**
 * The EventSink contract (wild-workouts' repository tests): the same suite runs against the
 * in-memory sink of the unit tests and the Kafka sink, so the fake cannot drift from Kafka.
 */
export function eventSinkContract(name: string, harness: () => SinkHarness, timeoutMs = 60_000) {
  describe(`EventSink contract: ${name}`, () => {
    it(
      'keeps the order of each key and delivers values and headers as sent',
      async () => {
        const { sink, read } = await harness().create(1024 * 1024);
        await sink.connect();
        const keys = [`k1-${randomUUID()}`, `k2-${randomUUID()}`, `k3-${randomUUID()}`];
        const sent: OutboxRecord[] = [];
        for (let i = 0; i < 24; i++) {
          const trace: Record<string, string> =
            i % 2 === 0 ? { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } : {};
          sent.push(record(keys[i % 3], trace, Buffer.from([i, 0, 255, i])));
        }
        await sink.publish(sent.slice(0, 10));
        await sink.publish(sent.slice(10));
        const got = await read(sent.length);
        await sink.close();
        expect(got).toHaveLength(sent.length);
        for (const key of keys) {
          const want = sent.filter((r) => r.key === key);
          const have = got.filter((r) => r.key === key);
          expect(have.map((r) => r.headers)).toEqual(want.map((r) => r.headers));
          expect(have.map((r) => Buffer.from(r.value))).toEqual(
            want.map((r) => Buffer.from(r.value)),
          );
        }
      },
      timeoutMs,
    );

    it(
      'refuses a record above the size limit as a record-level error and stays usable',
      async () => {
        const { sink, read } = await harness().create(2048);
        await sink.connect();
        const key = `k-${randomUUID()}`;
        const big = record(key, {}, Buffer.alloc(4096, 7));
        const error = await sink.publish([big]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isPublishError(error, 'record')).toBe(true);
        const small = record(key);
        await sink.publish([small]);
        const got = await read(1);
        await sink.close();
        expect(got.map((r) => r.headers['event-id'])).toEqual([small.headers['event-id']]);
      },
      timeoutMs,
    );

    it(
      'reports an unreachable broker as a broker-level error',
      async () => {
        const sink = await harness().unreachable();
        const connectError = await sink.connect().then(
          () => null,
          (e: unknown) => e,
        );
        expect(isPublishError(connectError, 'broker')).toBe(true);
        expect(sink.connected).toBe(false);
        const publishError = await sink.publish([record('k')]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isPublishError(publishError, 'broker')).toBe(true);
        await sink.close();
      },
      timeoutMs,
    );
  });
}
