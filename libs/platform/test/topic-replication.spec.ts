import { topicReplication } from '../src/topic-replication';

describe('topicReplication', () => {
  it.each([
    // brokers, configured RF, configured min.insync -> RF, min.insync
    [1, 0, 0, 1, 1], // development: one broker, as before
    [2, 0, 0, 2, 1], // two replicas: one may be down without stopping writes
    [3, 0, 0, 3, 2], // the durable default: two brokers hold every acknowledged write
    [6, 0, 0, 3, 2], // more brokers spread partitions, not more copies
    [6, 5, 0, 5, 2],
    [3, 3, 3, 3, 3], // explicit settings win
    [1, 3, 2, 3, 2], // explicit RF above the brokers: Kafka refuses it, loudly
  ])('%i brokers, RF %i, min.insync %i -> %i / %i', (brokers, rf, minIsr, wantRf, wantMin) => {
    expect(topicReplication(brokers, { replicationFactor: rf, minInsyncReplicas: minIsr })).toEqual(
      {
        replicationFactor: wantRf,
        minInsyncReplicas: wantMin,
      },
    );
  });

  it('refuses a min.insync.replicas no write could ever satisfy', () => {
    expect(() => topicReplication(1, { replicationFactor: 0, minInsyncReplicas: 2 })).toThrow(
      /exceeds the replication factor 1/,
    );
  });
});
