import { PublishError, type EventSink, type OutboxRecord } from '../../src/relay/ports';

/**
 * An EventSink in memory for unit tests; the EventSink contract suite runs against it and the
 * Kafka sink alike, so that it cannot drift from the real one.
 */
export class InMemorySink implements EventSink {
  readonly records: OutboxRecord[] = [];
  /** Every publish call's event ids, accepted or not ("publish <ids>" lines when accepted). */
  readonly calls: string[][] = [];
  connects = 0;
  closes = 0;
  /** Broker down: connect and publish fail with a broker error. */
  down = false;
  /** The next publishes never answer (a stuck broker). */
  hang = false;
  /** Runs at the start of each publish (tests take a lease away mid-batch). */
  beforePublish: (records: readonly OutboxRecord[]) => void = () => undefined;
  /**
   * Awaited after beforePublish, while the publish is in flight: tests hold a send here (and
   * may reject it) to see what the relay does meanwhile.
   */
  whilePublishing: (records: readonly OutboxRecord[]) => Promise<void> = async () => undefined;
  /** Publishes started and not yet answered. */
  publishing = 0;
  private isConnected = false;

  constructor(
    /** Largest record (key + value bytes) accepted, like the topic's max.message.bytes. */
    private readonly maxRecordBytes = 1024 * 1024,
    private readonly timeline: string[] = [],
  ) {}

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.connects++;
    if (this.down) throw new PublishError('broker', 'broker unreachable (fake)');
    this.isConnected = true;
  }

  async publish(records: readonly OutboxRecord[]): Promise<void> {
    this.calls.push(records.map((r) => r.headers['event-id']));
    this.beforePublish(records);
    this.publishing++;
    try {
      await this.whilePublishing(records);
    } finally {
      this.publishing--;
    }
    if (!this.isConnected) throw new PublishError('broker', 'not connected (fake)');
    if (this.down) throw new PublishError('broker', 'broker unreachable (fake)');
    if (this.hang) return new Promise(() => undefined);
    const tooLarge = records.find((r) => r.key.length + r.value.byteLength > this.maxRecordBytes);
    if (tooLarge) throw new PublishError('record', 'MESSAGE_TOO_LARGE (fake)');
    this.records.push(...records);
    for (const r of records) this.timeline.push(`publish ${r.headers['event-id']}`);
  }

  async close(): Promise<void> {
    this.closes++;
    this.isConnected = false;
  }
}
