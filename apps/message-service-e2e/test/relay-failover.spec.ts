import { randomUUID } from 'node:crypto';
import {
  deliveredInOrder,
  EventCollector,
  eventually,
  freshDatabase,
  OutboxLoad,
  query,
  Stack,
  testTopic,
} from '@realchat/testing';

/**
 * The relay under crashes and scaling: every committed event reaches Kafka at least once, and
 * each conversation's events stay in order once duplicates (same event-id) are dropped.
 */
const relayEnv = {
  RELAY_LEASE_MS: '2000',
  RELAY_SHARD_COUNT: '16',
  RELAY_BATCH_SIZE: '50',
};

async function setUp(prefix: string) {
  const databaseUrl = await freshDatabase(prefix);
  const topic = testTopic('relay-test');
  const [stack, events] = await Promise.all([
    Stack.start({ databaseUrl, messageApis: 0, topic, relayEnv }),
    EventCollector.start(topic),
  ]);
  const load = new OutboxLoad(
    databaseUrl,
    Array.from({ length: 12 }, (_, i) => `conv-${i}-${randomUUID().slice(0, 8)}`),
  );
  return { databaseUrl, stack, events, load };
}

describe('outbox relay failover', () => {
  it('loses nothing and keeps order while relays are SIGKILLed mid-load, repeatedly', async () => {
    const { databaseUrl, stack, events, load } = await setUp('e2e_relay_kill');
    try {
      await stack.startRelay();
      const writing = load.run(150, 2);
      for (let round = 0; round < 3; round++) {
        await eventually('some progress', () => events.events.length > (round + 1) * 100, 30_000);
        const victim = stack.relays[stack.relays.length - 1];
        await victim.stop('SIGKILL');
        await stack.startRelay(); // takes the shards once the dead one's leases expire
      }
      await writing;
      expect(await deliveredInOrder(databaseUrl, load, events)).toEqual([]);
      expect(load.total).toBe(12 * 150);
    } finally {
      await load.close();
      await events.stop();
      await stack.stop();
    }
  });

  it('shares the work between three replicas, survives one killed and one added, and stops cleanly', async () => {
    const { databaseUrl, stack, events, load } = await setUp('e2e_relay_three');
    try {
      await stack.startRelay();
      await stack.startRelay();
      await stack.startRelay();
      await eventually(
        'three replicas with a fair share each',
        async () => {
          const owners = await query<{ owner: string; n: number }>(
            databaseUrl,
            'SELECT owner, count(*)::int AS n FROM relay_shard_leases WHERE owner IS NOT NULL GROUP BY owner',
          );
          // ceil(16 / 3) = 6 each at most: 6 + 6 + 4 is as even as whole shards get.
          return (
            owners.length === 3 &&
            owners.every((o) => o.n >= 4 && o.n <= 6) &&
            owners.reduce((sum, o) => sum + o.n, 0) === 16
          );
        },
        20_000,
      );

      const writing = load.run(150, 2);
      await eventually('some progress', () => events.events.length > 300, 30_000);
      await stack.relays[0].stop('SIGKILL');
      await stack.startRelay();
      await writing;
      expect(await deliveredInOrder(databaseUrl, load, events)).toEqual([]);

      // Graceful stop: SIGTERM finishes the batch, releases every lease and exits 0.
      const live = stack.relays.slice(1);
      const codes = await Promise.all(live.map((r) => r.stop('SIGTERM')));
      expect(codes).toEqual([0, 0, 0]);
      const held = await query<{ n: number }>(
        databaseUrl,
        'SELECT count(*)::int AS n FROM relay_shard_leases WHERE owner IS NOT NULL AND expires_at > now()',
      );
      // Only the SIGKILLed replica's leases may still be held, and only until they expire.
      expect(held[0].n).toBe(0);
      const replicas = await query<{ replica_id: string }>(
        databaseUrl,
        'SELECT replica_id FROM relay_replicas WHERE expires_at > now()',
      );
      expect(replicas).toEqual([]);
    } finally {
      await load.close();
      await events.stop();
      await stack.stop();
    }
  });
});
