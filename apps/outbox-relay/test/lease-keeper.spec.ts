import { randomUUID } from 'node:crypto';
import { createLogger } from '@realchat/platform';
import { RelayMetrics } from '../src/metrics';
import { LeaseKeeper } from '../src/relay/lease-keeper';
import { ShardsInFlight } from '../src/relay/shards-in-flight';
import { FakeLeaseTable } from './fakes/fake-leases';
import { fakeRelay, metricValue, until } from './fakes/harness';

const logger = createLogger('lease-keeper-test', 'silent');

/** A clock the test moves by hand. */
class Clock {
  t = 1_000_000;
  readonly now = () => this.t;
}

function setUp(leaseMs = 3000, shardCount = 4) {
  const clock = new Clock();
  const table = new FakeLeaseTable(leaseMs, clock.now);
  const inFlight = new ShardsInFlight();
  const metrics = new RelayMetrics();
  const third = Math.floor(leaseMs / 3);
  const keeper = (replica: string) =>
    new LeaseKeeper(
      table.store(replica, shardCount),
      { shardCount, leaseMs, renewMarginMs: third, roundIntervalMs: third },
      inFlight,
      logger,
      metrics,
      clock.now,
    );
  return { clock, table, inFlight, metrics, keeper };
}

describe('LeaseKeeper', () => {
  it('uses a shard only while more than the renewal margin of its lease remains', async () => {
    const { clock, table, keeper } = setUp(3000);
    const k = keeper('a');
    await table.store('a', 4).ensureShards();
    await k.round();
    expect(k.usable().map((l) => l.shard)).toEqual([0, 1, 2, 3]);
    clock.t += 1999; // 1001 ms left > margin (1000)
    expect(k.usable()).toHaveLength(4);
    clock.t += 1; // exactly the margin left: no longer usable, though not expired yet
    expect(k.usable()).toEqual([]);
    expect(table.holds('a', { shard: 0, epoch: 1n })).toBe(true);
    await k.round(); // renewed: usable again
    expect(k.usable()).toHaveLength(4);
  });

  it('an expired lease is never usable, and a taken-over one is reported lost', async () => {
    const { clock, table, keeper, metrics } = setUp(3000);
    const a = keeper('a');
    await table.store('a', 4).ensureShards();
    await a.round();
    clock.t += 3001; // a could not renew in time (paused, partitioned)
    expect(a.usable()).toEqual([]);
    const b = keeper('b');
    await b.round(); // b takes the expired shards, with new epochs
    await a.round();
    expect(a.usable()).toEqual([]);
    expect(await metricValue(metrics.leasesLost)).toBe(4);
    expect(b.usable().map((l) => [l.shard, l.epoch])).toEqual([
      [0, 2n],
      [1, 2n],
      [2, 2n],
      [3, 2n],
    ]);
  });

  it('releases a drained shard only once no batch of it is in flight', async () => {
    const { table, keeper, inFlight } = setUp(3000, 4);
    const a = keeper('a');
    const b = keeper('b');
    await table.store('a', 4).ensureShards();
    await a.round();
    await b.round(); // b joins: a's share becomes 2
    const busy = inFlight.enter([3]); // a batch of shard 3 is on its way
    await a.round(); // a drains 2 and 3
    expect(a.usable().map((l) => l.shard)).toEqual([0, 1]);
    await a.round(); // 2 is released; 3 is still being published
    expect(table.shards.get(2)!.owner).toBeNull();
    expect(table.shards.get(3)!.owner).toBe('a');
    busy();
    await a.round(); // now 3 goes too
    expect(table.shards.get(3)!.owner).toBeNull();
    await b.round();
    expect(b.usable().map((l) => l.shard)).toEqual([2, 3]);
  });

  it('an expired lease stops the relay publishing', async () => {
    const { relay, outbox, sink, leases } = fakeRelay({ leaseMs: 600, pollIntervalMs: 20 });
    const running = relay.run();
    const c = `c-${randomUUID()}`;
    outbox.add(c);
    await until('the first row', () => sink.records.length === 1);
    leases.failing = new Error('database unreachable (fake)'); // rounds fail: no renewal
    await new Promise((r) => setTimeout(r, 700)); // the lease expires
    outbox.add(c);
    const calls = outbox.pendingCalls;
    await until('more polls', () => outbox.pendingCalls > calls + 5);
    expect(sink.records).toHaveLength(1);
    expect(sink.calls).toHaveLength(1);
    leases.failing = null;
    await until('publishing again once leases are back', () => sink.records.length === 2);
    await relay.close();
    await running;
  });
});
