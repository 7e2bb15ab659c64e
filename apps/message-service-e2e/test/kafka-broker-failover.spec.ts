import fs from 'node:fs';
import path from 'node:path';
import {
  DedicatedKafkaCluster,
  deliveryProblems,
  EventCollector,
  eventually,
  freshDatabase,
  metricValue,
  outboxSize,
  query,
  scrapeMetrics,
  sampleValue,
  sendWhenAvailable,
  Stack,
  testTopic,
} from '@realchat/testing';

/**
 * The relay on a 3-broker cluster (one controller, three brokers; RF 3, min.insync.replicas 2,
 * acks=all) while sends go on through message-api without a pause:
 * 1. the leader of the busiest partitions is SIGKILLed, later restarted;
 * 2. two brokers are SIGKILLed, so that one in-sync replica is left and Kafka must refuse
 *    writes (NOT_ENOUGH_REPLICAS), then both come back.
 * The same relay process rides through all of it: it pauses without spending a single row
 * attempt, says so in /readyz and /metrics, and afterwards the whole topic holds every message
 * of the database, in each conversation's order (re-sends allowed: at-least-once).
 * Timings go to .cache/kafka-failover.json and the test output (docs/outbox-relay.md).
 */
const USERS = ['alice', 'bob', 'carol'];
const CONVERSATIONS = 24;
const WRITERS = 4;
const NOT_ENOUGH_REPLICAS = ['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'];

async function readyz(port: number): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
}

/** Treats a failing probe (a broker of the admin client just died) as "not yet". */
const orFalse = (check: () => Promise<boolean>) => () => check().catch(() => false);

describe('outbox relay on a 3-broker Kafka cluster', () => {
  it('loses nothing and keeps order through leader loss and too few in-sync replicas', async () => {
    const timings: Record<string, number> = {};
    const began = Date.now();
    // Progress on the test's output, so that a slow or stuck phase is visible in CI logs.
    const step = (what: string) =>
      process.stdout.write(`kafka-cluster test +${Date.now() - began} ms: ${what}\n`);
    // The cluster's JVMs start while the database and the apps come up.
    const databaseUrl = await freshDatabase('e2e_kafka_cluster');
    const [cluster, stack] = await Promise.all([
      DedicatedKafkaCluster.start('kafka-cluster'),
      Stack.start({ databaseUrl, messageApis: 1 }),
    ]);
    const topic = testTopic('kafka-cluster', cluster.brokers);
    step('cluster and apps up');
    const relay = await stack.startRelay({
      KAFKA_BROKERS: cluster.brokers,
      KAFKA_TOPIC: topic,
      KAFKA_REQUEST_TIMEOUT_MS: '3000',
      RELAY_BACKOFF_MAX_MS: '1000',
    });
    const http = relay.port('http');
    const published = () => metricValue(http, 'relay_events_published_total');

    // The relay made the topic as durable as three brokers allow.
    await eventually(
      'the relay to create its topic',
      orFalse(async () => (await cluster.partitions(topic)).length === 12),
      30_000,
    );
    for (const p of await cluster.partitions(topic)) expect(p.replicas).toEqual([1, 2, 3]);
    expect(await cluster.topicConfig(topic, ['min.insync.replicas'])).toEqual({
      'min.insync.replicas': '2',
    });

    // Continuous sends to many conversations through message-api, for the whole test.
    const conversations: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++)
      conversations.push(
        (await stack.conversationApi().create(USERS)).conversation!.conversationId,
      );
    const api = stack.messageApi();
    let sending = true;
    let sends = 0;
    const writers = Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const user = USERS[w % USERS.length];
        while (sending) {
          const c = conversations[Math.floor(Math.random() * conversations.length)];
          await sendWhenAvailable(api, user, {
            conversationId: c,
            senderUserId: user,
            content: `w${w}`,
          });
          sends++;
        }
      }),
    );
    writers.catch(() => undefined); // awaited below; a failed send must not go unhandled meanwhile
    try {
      const aliveAndSending = () => {
        expect(relay.running).toBe(true); // the same process all along: no restart
      };

      step('writers started');
      // 1. SIGKILL the leader of the busiest partitions under load.
      await eventually('traffic on Kafka', async () => (await published()) >= 200, 30_000);
      const victim = await cluster.busiestLeader(topic);
      step('SIGKILL the busiest leader');
      const killedAt = Date.now();
      await cluster.kill(victim.broker);
      // New leaders for its partitions, then records landing in them again (the high watermark
      // moves only once acks=all is satisfied): leader loss to resumed publishing, from outside.
      let atElection = new Map<number, number>();
      await eventually(
        `new leaders for the partitions of broker ${victim.broker}`,
        orFalse(async () => {
          const parts = await cluster.partitions(topic);
          const moved = victim.partitions.every((n) => {
            const leader = parts.find((p) => p.partition === n)!.leader;
            return leader !== victim.broker && leader >= 0;
          });
          if (moved) atElection = await cluster.endOffsets(topic);
          return moved;
        }),
        60_000,
      );
      step('new leaders elected');
      timings.leaderElectedMs = Date.now() - killedAt;
      await eventually(
        'records in the moved partitions again',
        orFalse(async () => {
          const ends = await cluster.endOffsets(topic);
          return victim.partitions.some((n) => ends.get(n)! > atElection.get(n)!);
        }),
        60_000,
      );
      timings.leaderLossToPublishingMs = Date.now() - killedAt;
      // The relay's own view: its pause from the first refused send to the first accepted one
      // (absent when the failover fell between two sends and none failed).
      const firstResume = relay
        .logs()
        .find(
          (l) =>
            l.msg === 'Kafka takes writes again: publishing resumed' &&
            Date.parse(String(l.time)) >= killedAt,
        );
      if (firstResume) timings.relayPausedOnLeaderLossMs = Number(firstResume.pausedMs);
      aliveAndSending();

      step('publishing again');
      // ... and later restart it: it catches up and rejoins every ISR.
      const restartedAt = Date.now();
      await cluster.restart(victim.broker);
      await eventually(
        'every replica back in sync',
        orFalse(async () => (await cluster.partitions(topic)).every((p) => p.isr.length === 3)),
        60_000,
      );
      timings.restartToFullIsrMs = Date.now() - restartedAt;

      step('every replica in sync');
      // 2. Two brokers down: one in-sync replica < min.insync.replicas 2, writes must stop.
      const beforeOutage = await outboxSize(databaseUrl);
      const down1 = (await cluster.busiestLeader(topic)).broker;
      const down2 = [1, 2, 3].find((b) => b !== down1)!;
      await Promise.all([cluster.kill(down1), cluster.kill(down2)]);
      // Several sends refused in a row (kafkajs logs each broker answer): a relay that counted
      // them against rows would have spent attempts by now, and parked rows after
      // RELAY_MAX_ATTEMPTS. Counted from the log, so that the wait itself does not depend on how
      // the relay classifies the error.
      const refusals = () =>
        relay
          .logs()
          .filter(
            (l) =>
              String(l.msg).startsWith('Failed to send messages') &&
              String(l.msg).includes('fewer in-sync replicas'),
          ).length;
      await eventually(
        'Kafka to refuse writes for too few in-sync replicas',
        () => refusals() >= 12, // kafkajs tries each send 4 times: 3 sends of the relay
        60_000,
      );
      step('writes refused: NOT_ENOUGH_REPLICAS');
      const attemptsSpent = async () =>
        (
          await query<{ tried: number }>(
            databaseUrl,
            'SELECT count(*)::int AS tried FROM outbox WHERE attempts > 0',
          )
        )[0].tried;
      expect(await attemptsSpent()).toBe(0);
      // ... and says so: not ready, paused, the refusals counted as an outage by Kafka's reason.
      expect(await readyz(http)).toBe(503);
      expect(await metricValue(http, 'relay_publishing_paused')).toBe(1);
      const during = await scrapeMetrics(http);
      const refusedAsOutage = NOT_ENOUGH_REPLICAS.map(
        (reason) => sampleValue(during, 'relay_broker_errors_total', { reason }) ?? 0,
      );
      expect(refusedAsOutage[0] + refusedAsOutage[1]).toBeGreaterThanOrEqual(1);
      await eventually(
        'the outbox to grow while Kafka refuses writes',
        async () => (await outboxSize(databaseUrl)) > beforeOutage + 50,
        30_000,
      );
      expect(await attemptsSpent()).toBe(0);
      aliveAndSending();

      step('outbox grew, no attempts spent');
      // Restore: both brokers back; the relay resumes by itself.
      const restoredAt = Date.now();
      const resumedLines = relay
        .logs()
        .filter((l) => l.msg === 'Kafka takes writes again: publishing resumed').length;
      step('restarting both');
      await Promise.all([cluster.restart(down1), cluster.restart(down2)]);
      step('both brokers registered');
      const resumed = await relay.waitForLog(
        (l) =>
          l.msg === 'Kafka takes writes again: publishing resumed' &&
          Date.parse(String(l.time)) >= restoredAt,
        60_000,
      );
      timings.restoreToPublishingMs = Date.parse(String(resumed.time)) - restoredAt;
      timings.relayPausedBelowMinIsrMs = Number(resumed.pausedMs);
      expect(
        relay.logs().filter((l) => l.msg === 'Kafka takes writes again: publishing resumed').length,
      ).toBeGreaterThan(resumedLines);
      await eventually(
        'the relay to report ready again',
        async () => (await readyz(http)) === 200,
        30_000,
      );
      expect(await metricValue(http, 'relay_publishing_paused')).toBe(0);

      // Some more traffic on the healed cluster, then stop and let the outbox drain.
      const afterRestore = await published();
      await eventually(
        'traffic after the restore',
        async () => (await published()) >= afterRestore + 50,
        30_000,
      );
      step('stopping the writers');
      sending = false;
      await writers;
      await eventually(
        'the outbox to drain',
        async () => (await outboxSize(databaseUrl)) === 0,
        60_000,
      );
      aliveAndSending();

      // Nothing parked, no row attempt spent, no record error.
      const [{ parked }] = await query<{ parked: number }>(
        databaseUrl,
        'SELECT count(*)::int AS parked FROM outbox_dead_letters',
      );
      expect(parked).toBe(0);
      const samples = await scrapeMetrics(http);
      expect(sampleValue(samples, 'relay_publish_errors_total', { kind: 'record' }) ?? 0).toBe(0);
      expect(sampleValue(samples, 'relay_dead_lettered_total')).toBe(0);

      // The whole topic: every message of the database, in each conversation's order.
      const committed = new Map(
        (
          await query<{ conversation_id: string; last: number }>(
            databaseUrl,
            'SELECT conversation_id, max(sequence)::int AS last FROM messages GROUP BY conversation_id',
          )
        ).map((r) => [r.conversation_id, r.last]),
      );
      const [{ messages }] = await query<{ messages: number }>(
        databaseUrl,
        'SELECT count(*)::int AS messages FROM messages',
      );
      expect(messages).toBeGreaterThanOrEqual(sends); // a retried send may have landed twice
      step('reading the whole topic');
      const events = await EventCollector.start(topic, cluster.brokers);
      await eventually(
        'every message on Kafka',
        () => deliveryProblems(committed, events.events).length === 0,
        60_000,
      ).catch(() => undefined);
      expect(deliveryProblems(committed, events.events)).toEqual([]);
      timings.messages = messages;
      timings.records = events.events.length; // with re-sends
    } finally {
      sending = false; // a failed step must not leave the writers running
    }

    const file = path.resolve(__dirname, '../../../.cache/kafka-failover.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...timings }, null, 2));
    process.stdout.write(`kafka failover timings: ${JSON.stringify(timings)}\n`);
  }, 300_000); // about 80 s; generous for a loaded 2-core machine
});
