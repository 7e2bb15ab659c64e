import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The relay's Prometheus metrics (served on /metrics). */
export class RelayMetrics {
  readonly registry = new Registry();

  readonly published = new Counter({
    name: 'relay_events_published_total',
    help: 'Events acknowledged by Kafka and removed from the outbox (rate() = events/s)',
    registers: [this.registry],
  });
  readonly unacknowledged = new Counter({
    name: 'relay_events_unacknowledged_total',
    help: 'Events Kafka acknowledged that this replica could not remove from the outbox because its lease had moved on (the new owner re-sends them)',
    registers: [this.registry],
  });
  readonly publishErrors = new Counter({
    name: 'relay_publish_errors_total',
    help: 'Failed publish attempts by kind (broker, record, database)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'relay_batch_size',
    help: 'Events per batch sent to Kafka',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    registers: [this.registry],
  });
  readonly commitToAck = new Histogram({
    name: 'relay_commit_to_ack_seconds',
    help: 'Time from the outbox row being written to Kafka acknowledging it',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly shardsOwned = new Gauge({
    name: 'relay_shards_owned',
    help: 'Shards this replica publishes',
    registers: [this.registry],
  });
  readonly leasesLost = new Counter({
    name: 'relay_leases_lost_total',
    help: 'Shard leases that expired and were taken by another replica',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'relay_dead_lettered_total',
    help: 'Rows parked in outbox_dead_letters by this replica (alert on any increase)',
    registers: [this.registry],
  });
  readonly kafkaUp = new Gauge({
    name: 'relay_kafka_up',
    help: '1 while the Kafka producer is connected',
    registers: [this.registry],
  });
  readonly publishingPaused = new Gauge({
    name: 'relay_publishing_paused',
    help: '1 while Kafka refuses or cannot take writes (broker down, too few in-sync replicas) and rows wait in the outbox; no row attempts are spent meanwhile',
    registers: [this.registry],
  });
  readonly brokerErrors = new Counter({
    name: 'relay_broker_errors_total',
    help: 'Failed sends or connects that were the broker side, by Kafka error type (e.g. NOT_ENOUGH_REPLICAS, NOT_LEADER_FOR_PARTITION, KafkaJSConnectionError)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pausedSeconds = new Histogram({
    name: 'relay_publishing_paused_seconds',
    help: 'How long each pause lasted, from the first failed send to the first accepted one (broker failover time as the relay sees it)',
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly pending = new Gauge({
    name: 'outbox_pending_rows',
    help: 'Rows waiting in the outbox (all shards)',
    registers: [this.registry],
  });
  readonly oldestAge = new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest row waiting in the outbox',
    registers: [this.registry],
  });
  readonly deadLetterRows = new Gauge({
    name: 'outbox_dead_letter_rows',
    help: 'Rows in outbox_dead_letters (all replicas)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
