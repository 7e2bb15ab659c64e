import { randomUUID } from 'node:crypto';
import { conversationHash, shardOf } from '@realchat/domain';
import { RelayMetrics } from '../src/metrics';
import { OutboxRelay, RelayConfigError } from '../src/relay/outbox-relay';
import { PublishError } from '../src/relay/ports';
import { fakeRelay, metricValue, until } from './fakes/harness';

/**
 * The relay loop over in-memory fakes (outbox, lease table, sink): ordering, poison rows,
 * broker outages, fencing, metrics, readiness and shutdown, without any I/O.
 */

/** `n` conversation ids, each in a different shard of `shardCount`. */
function inDistinctShards(n: number, shardCount: number): string[] {
  const byShard = new Map<number, string>();
  while (byShard.size < n) {
    const id = `c-${randomUUID()}`;
    const s = shardOf(conversationHash(id), shardCount);
    if (!byShard.has(s)) byShard.set(s, id);
  }
  return [...byShard.values()];
}

const idsOf = (records: readonly { headers: Record<string, string> }[]) =>
  records.map((r) => r.headers['event-id']);

describe('OutboxRelay (fakes)', () => {
  it('publishes the events of each conversation in commit order and counts them', async () => {
    const { relay, outbox, sink, metrics } = fakeRelay({ batchSize: 7 });
    const conversations = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
    const expected = new Map<string, string[]>(conversations.map((c) => [c, []]));
    for (let i = 0; i < 30; i++) {
      const c = conversations[i % 3];
      expected.get(c)!.push(outbox.add(c));
    }
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;
    for (const c of conversations)
      expect(idsOf(sink.records.filter((r) => r.key === c))).toEqual(expected.get(c));
    expect(await metricValue(metrics.published)).toBe(30);
  });

  it('sends the payload bytes untouched with the headers built from the row', async () => {
    const { relay, outbox, sink } = fakeRelay();
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    const id = outbox.add(`c-${randomUUID()}`, { payload });
    const running = relay.run();
    await until('the record', () => sink.records.length === 1);
    await relay.close();
    await running;
    expect(Buffer.from(sink.records[0].value)).toEqual(payload);
    expect(sink.records[0].headers).toEqual({
      'event-id': id,
      'event-type': 'EVENT_TYPE_MESSAGE_SENT',
      'content-type': 'application/x-protobuf; messageType=realchat.shared.v1.EventEnvelope',
      'schema-version': '1',
    });
  });

  it('holds back the later rows of a conversation while its failing row is retried, lets other conversations go on, and parks it after maxAttempts', async () => {
    const { relay, outbox, sink, metrics, timeline } = fakeRelay({ maxAttempts: 3 });
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    const a1 = outbox.add(a);
    const poison = outbox.add(a, { eventType: 9999 }); // no record can carry it
    const a2 = outbox.add(a);
    const b1 = outbox.add(b);
    const b2 = outbox.add(b);
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;

    expect(outbox.parked.map((r) => [r.eventId, r.attempts, r.errors.length])).toEqual([
      [poison, 3, 3],
    ]);
    // The first batch: a1 and the other conversation; a2 waits behind the failing row.
    expect(sink.calls[0]).toEqual([a1, b1, b2]);
    // a2 is sent only after the poison row was parked, exactly once.
    expect(timeline.indexOf(`publish ${a2}`)).toBeGreaterThan(timeline.indexOf(`park ${poison}`));
    expect(idsOf(sink.records.filter((r) => r.key === a))).toEqual([a1, a2]);
    expect(await metricValue(metrics.deadLettered)).toBe(1);
    expect(await metricValue(metrics.published)).toBe(4);
  });

  it('sends one by one when the sink refuses a record, and parks only that record', async () => {
    const { relay, outbox, sink, timeline } = fakeRelay(
      { maxAttempts: 2 },
      { maxRecordBytes: 200 },
    );
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    const a1 = outbox.add(a);
    const big = outbox.add(a, { payload: Buffer.alloc(500, 1) });
    const a2 = outbox.add(a);
    const b1 = outbox.add(b);
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;

    expect(outbox.parked.map((r) => [r.eventId, r.attempts])).toEqual([[big, 2]]);
    expect(outbox.parked[0].errors[0]).toMatch(/MESSAGE_TOO_LARGE/);
    // The whole batch was refused, then each record alone: a2 waited behind the big one.
    expect(sink.calls.slice(0, 4)).toEqual([[a1, big, a2, b1], [a1], [big], [b1]]);
    expect(timeline.indexOf(`publish ${a2}`)).toBeGreaterThan(timeline.indexOf(`park ${big}`));
    expect(idsOf(sink.records)).toEqual([a1, b1, a2]);
  });

  it('spends no row attempts while the broker is down, backs off, and resumes', async () => {
    const { relay, outbox, sink, metrics, logs } = fakeRelay({
      backoffMinMs: 50,
      backoffMaxMs: 400,
    });
    const c = `c-${randomUUID()}`;
    const ids = [outbox.add(c), outbox.add(c), outbox.add(c)];
    sink.down = true;
    const running = relay.run();
    await until('several reconnect attempts', () => sink.connects >= 4);
    const window = Date.now();
    const connectsBefore = sink.connects;
    await new Promise((r) => setTimeout(r, 1500));
    // Without backoff this would be hundreds of attempts; with 50..400 ms at most a handful.
    expect(sink.connects - connectsBefore).toBeLessThan(12);
    expect(Date.now() - window).toBeGreaterThanOrEqual(1500);
    expect(outbox.rows.map((r) => r.attempts)).toEqual([0, 0, 0]);
    expect(outbox.parked).toEqual([]);
    expect(await metricValue(metrics.kafkaUp)).toBe(0);

    sink.down = false;
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;
    expect(idsOf(sink.records)).toEqual(ids);
    expect(logs.some((l) => l.msg === 'Kafka available again: resuming')).toBe(true);
  });

  it('a broker failure in the middle of a publish spends no attempts either', async () => {
    const { relay, outbox, sink } = fakeRelay();
    const c = `c-${randomUUID()}`;
    outbox.add(c);
    outbox.add(c);
    let failures = 3;
    sink.beforePublish = () => {
      if (failures-- > 0) throw new PublishError('broker', 'leader not available (fake)');
    };
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;
    expect(sink.records).toHaveLength(2);
    expect(outbox.parked).toEqual([]);
    expect(sink.calls.length).toBeGreaterThanOrEqual(4);
  });

  it('stays paused and not ready while brokers answer but refuse every write (too few in-sync replicas), spending no attempts', async () => {
    const { relay, outbox, sink, metrics, logs } = fakeRelay({
      backoffMinMs: 10,
      backoffMaxMs: 50,
    });
    const c = `c-${randomUUID()}`;
    const ids = [outbox.add(c), outbox.add(c)];
    let refusing = true; // connects succeed, sends do not: connected alone is not "up"
    const readyWhileConnected: boolean[] = [];
    const publish = sink.publish.bind(sink);
    sink.publish = async (records) => {
      if (!refusing) return publish(records);
      readyWhileConnected.push(sink.connected && (await relay.ready()).kafka);
      throw new PublishError('broker', 'fewer in-sync replicas than required (fake)', {
        reason: 'NOT_ENOUGH_REPLICAS',
      });
    };
    const running = relay.run();
    const refused = () =>
      metrics.brokerErrors
        .get()
        .then((m) =>
          m.values
            .filter((v) => v.labels.reason === 'NOT_ENOUGH_REPLICAS')
            .reduce((n, v) => n + v.value, 0),
        );
    await until('several refused sends', async () => (await refused()) >= 5);
    expect(outbox.rows.map((r) => r.attempts)).toEqual([0, 0]);
    expect(outbox.parked).toEqual([]);
    expect(await metricValue(metrics.publishingPaused)).toBe(1);
    // At each refusal after the first the sink was connected again, and still the relay did
    // not say ready (before the first one it had no reason to doubt Kafka).
    expect(readyWhileConnected.length).toBeGreaterThanOrEqual(5);
    expect(readyWhileConnected.slice(1).every((ready) => !ready)).toBe(true);

    refusing = false;
    await until('the outbox to drain', () => outbox.rows.length === 0);
    expect(await metricValue(metrics.publishingPaused)).toBe(0);
    expect((await relay.ready()).kafka).toBe(true);
    const resumed = logs.find((l) => l.msg === 'Kafka takes writes again: publishing resumed');
    expect(resumed?.pausedMs).toBeGreaterThan(0);
    await relay.close();
    await running;
    expect(idsOf(sink.records)).toEqual(ids);
  });

  it('a connect that never answers does not stop the loop', async () => {
    const { relay, outbox, sink } = fakeRelay({ leaseMs: 2000 }); // connects bounded at 1 s
    outbox.add(`c-${randomUUID()}`);
    const connect = sink.connect.bind(sink);
    let hung = 0;
    sink.connect = () => (hung++ === 0 ? new Promise<void>(() => undefined) : connect());
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;
    expect(hung).toBeGreaterThanOrEqual(2);
  });

  it('after a lease loss mid-batch acknowledges and counts only the rows it still owns', async () => {
    const { relay, outbox, sink, table, metrics, logs } = fakeRelay();
    const [a, b] = inDistinctShards(2, 4);
    const aRows = [outbox.add(a), outbox.add(a)];
    const bRows = [outbox.add(b), outbox.add(b), outbox.add(b)];
    let stolen = false;
    sink.beforePublish = () => {
      if (stolen) return;
      stolen = true; // another replica takes a's shard while the batch is on its way
      table.steal(shardOf(conversationHash(a), 4), 'r2');
    };
    const running = relay.run();
    await until('b to be acknowledged', () => !outbox.rows.some((r) => r.conversationId === b));
    await relay.close();
    await running;

    // Sent once: after the shortfall the relay stops using the batch's shards until the next
    // lease round, instead of re-sending a's rows in a loop.
    expect(idsOf(sink.records)).toEqual([...aRows, ...bRows]);
    // a's rows stay for the new owner; only b's left the outbox and count as published.
    expect(outbox.rows.map((r) => r.eventId)).toEqual(aRows);
    expect(await metricValue(metrics.published)).toBe(3);
    expect(await metricValue(metrics.unacknowledged)).toBe(2);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'lease lost during a batch; rows will be re-sent by the new owner',
        published: 5,
        acknowledged: 3,
      }),
    );
  });

  it('a replica frozen while reading a batch past its lease still sends it, but the fence deletes nothing', async () => {
    const { relay, outbox, sink, table, leases, metrics, logs } = fakeRelay({ leaseMs: 600 });
    const c = `c-${randomUUID()}`;
    const ids = [outbox.add(c), outbox.add(c)];
    let frozen = false;
    outbox.beforePending = async () => {
      if (frozen || outbox.rows.length === 0) return;
      frozen = true;
      // As if the process stopped here: no lease round runs, and another replica takes over.
      leases.failing = new Error('frozen');
      await new Promise((r) => setTimeout(r, 700));
      for (const s of table.shards.keys()) table.steal(s, 'r2');
      leases.failing = null;
    };
    const running = relay.run();
    await until('the warning', () =>
      logs.some(
        (l) => l.msg === 'lease lost during a batch; rows will be re-sent by the new owner',
      ),
    );
    await relay.close();
    await running;
    expect(idsOf(sink.records)).toEqual(ids); // a duplicate for the new owner to re-send
    expect(outbox.rows.map((r) => r.eventId)).toEqual(ids); // ... and nothing deleted
    expect(logs).toContainEqual(expect.objectContaining({ published: 2, acknowledged: 0 }));
    expect(await metricValue(metrics.published)).toBe(0);
  });

  it('cuts a publish that outlasts publishTimeoutMs, drops the connection and sends again', async () => {
    const { relay, outbox, sink, logs } = fakeRelay({ leaseMs: 3000, publishTimeoutMs: 200 });
    const c = `c-${randomUUID()}`;
    const id = outbox.add(c);
    sink.hang = true;
    sink.beforePublish = () => {
      if (sink.calls.length > 1) sink.hang = false;
    };
    const running = relay.run();
    await until('the outbox to drain', () => outbox.rows.length === 0);
    await relay.close();
    await running;
    expect(sink.calls.length).toBe(2);
    expect(sink.closes).toBeGreaterThanOrEqual(1); // the stuck producer was dropped
    expect(idsOf(sink.records)).toEqual([id]);
    expect(outbox.parked).toEqual([]);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'Kafka unavailable: pausing, rows stay in the outbox' }),
    );
  });

  it('is ready only when PostgreSQL answers a probe now, not from a remembered state', async () => {
    const { relay, outbox, table } = fakeRelay({ probeTimeoutMs: 200 });
    // Every shard belongs to another replica: the loop never queries the outbox.
    for (let s = 0; s < 4; s++)
      table.shards.set(s, { owner: 'r2', epoch: 1n, expiresAt: Date.now() + 60_000 });
    table.replicas.set('r2', Date.now() + 60_000);
    const running = relay.run();
    await relay.started;
    await until('ready', async () => (await relay.ready()).ready);
    outbox.pingFailure = new Error('connection refused');
    expect(await relay.ready()).toEqual({
      ready: false,
      postgres: false,
      kafka: true,
      leases: true,
    });
    outbox.pingFailure = 'hang';
    expect((await relay.ready()).postgres).toBe(false);
    outbox.pingFailure = null;
    expect((await relay.ready()).ready).toBe(true);
    await relay.close();
    await running;
  });

  it('close() waits for the batch in flight at most drainTimeoutMs, then releases leases and closes', async () => {
    const { relay, outbox, sink, leases, table, logs } = fakeRelay({
      leaseMs: 600_000,
      publishTimeoutMs: 5000,
      drainTimeoutMs: 300,
    });
    outbox.add(`c-${randomUUID()}`);
    sink.hang = true; // the publish does not end within the grace (it is cut only after 5 s)
    const running = relay.run();
    let loopEnded = false;
    void running.then(() => (loopEnded = true));
    await until('the publish to start', () => sink.calls.length === 1);
    await relay.close();
    // close() returned while the publish was still stuck: it did not wait for it.
    expect(loopEnded).toBe(false);
    expect(leases.leaveCalls).toBe(1);
    expect([...table.shards.values()].every((r) => r.owner === null)).toBe(true);
    expect(sink.closes).toBeGreaterThanOrEqual(1);
    expect(logs.map((l) => l.msg)).toContain('released all shard leases');
    await running; // the loop itself ends once the publish times out
  }, 20_000);

  it("close() fits in drainTimeoutMs even when the publish and the sink's close both hang", async () => {
    const { relay, outbox, sink } = fakeRelay({
      leaseMs: 600_000,
      publishTimeoutMs: 5000,
      drainTimeoutMs: 1000,
    });
    outbox.add(`c-${randomUUID()}`);
    sink.hang = true;
    let answer: () => void = () => undefined;
    const unanswered = new Promise<void>((r) => (answer = r));
    sink.close = () => unanswered; // a broker that does not answer until the test lets it
    const running = relay.run();
    await until('the publish to start', () => sink.calls.length === 1);
    const started = Date.now();
    await relay.close();
    // runService exits 1 past the grace: every step of the stop must fit inside it.
    expect(Date.now() - started).toBeLessThan(1000 + 250);
    answer();
    await running;
  }, 20_000);

  it('close() lets the batch in flight finish and acknowledges it before releasing leases', async () => {
    const { relay, outbox, sink, leases } = fakeRelay();
    outbox.add(`c-${randomUUID()}`);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let publishing = false;
    let leftDuringPublish = false;
    const publish = sink.publish.bind(sink);
    sink.publish = async (records) => {
      publishing = true;
      await gate;
      leftDuringPublish = leases.leaveCalls > 0;
      return publish(records);
    };
    const running = relay.run();
    await until('the publish to start', () => publishing);
    const closing = relay.close();
    setTimeout(release, 100);
    await closing;
    await running;
    expect(leftDuringPublish).toBe(false);
    expect(outbox.rows).toEqual([]);
    expect(leases.leaveCalls).toBe(1);
  });
});

describe('RelayConfig validation', () => {
  const ports = () => {
    const { outbox, sink, leases } = fakeRelay();
    return { source: outbox, sink, leases, metrics: new RelayMetrics(), logger: undefined! };
  };

  it('reports every problem at once, including settings that contradict each other', () => {
    let error: unknown;
    try {
      new OutboxRelay(
        {
          replicaId: '',
          batchSize: 0,
          leaseMs: 3000,
          publishTimeoutMs: 2000,
          backoffMinMs: 500,
          backoffMaxMs: 100,
          pollIntervalMs: 5000,
        },
        ports(),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RelayConfigError);
    const problems = (error as RelayConfigError).problems.join('\n');
    expect(problems).toMatch(/replicaId/);
    expect(problems).toMatch(/batchSize/);
    expect(problems).toMatch(/publishTimeoutMs \(2000\) must be below renewMarginMs \(1000\)/);
    expect(problems).toMatch(/backoffMinMs \(500\) must not exceed backoffMaxMs \(100\)/);
    expect(problems).toMatch(/pollIntervalMs \(5000\) must not exceed leaseMs/);
    expect((error as RelayConfigError).problems).toHaveLength(5);
  });

  it('derives the lease timings from leaseMs and accepts them', () => {
    const relay = new OutboxRelay({ replicaId: 'r', leaseMs: 2000 }, ports());
    expect(relay.config).toMatchObject({
      roundIntervalMs: 666,
      renewMarginMs: 666,
      publishTimeoutMs: 500,
    });
  });
});
