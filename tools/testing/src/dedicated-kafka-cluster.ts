import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  freePorts,
  kafkaNodePid,
  LocalKafkaCluster,
  localKafkaCluster,
  startKafkaBroker,
  startKafkaCluster,
  stopKafkaCluster,
  stopKafkaNode,
} from '@realchat/infra';
import { Kafka, logLevel } from 'kafkajs';
import { registerCleanup } from './cleanup-registry';

/**
 * TEST-ONLY broker settings that make a failover take seconds instead of the defaults' tens of
 * seconds, so that a test can kill brokers under load within a CI budget. Never for production:
 * on a busy machine short timeouts fence healthy brokers and shrink ISRs spuriously.
 * - broker.session.timeout.ms / broker.heartbeat.interval.ms: the controller fences a dead
 *   broker (new leaders elected, the broker dropped from every ISR) 3 s after its last
 *   heartbeat (default 9 s, heartbeats every 2 s).
 * - replica.lag.time.max.ms: a follower that stops fetching leaves the ISR after 5 s (30 s).
 * - leader.imbalance.check.interval.seconds: a restarted broker gets its preferred leaderships
 *   back within 5 s (300 s), one more leader change the relay must ride through.
 * - controlled.shutdown / unclean election stay at their defaults (no unclean election: an
 *   out-of-sync replica never becomes leader, which is what makes acks=all lossless).
 */
export const FAST_FAILOVER: Readonly<Record<string, string>> = {
  'broker.session.timeout.ms': '3000',
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '5000',
  'leader.imbalance.check.interval.seconds': '5',
  'leader.imbalance.per.broker.percentage': '0',
};

/** Leader and in-sync replicas of one partition. */
export interface PartitionState {
  readonly partition: number;
  readonly leader: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
}

/**
 * A KRaft cluster of the test's own: one controller and `brokers` brokers (tools/infra's
 * kafka-cluster.ts, same jars as the local infrastructure), on free ports that stay reserved
 * across a restart (freePorts) and a unique data folder, with FAST_FAILOVER settings. Brokers
 * can be crashed (SIGKILL) and restarted one by one. Everything goes when the test (or suite)
 * that started it ends.
 */
export class DedicatedKafkaCluster {
  private constructor(readonly cluster: LocalKafkaCluster) {}

  static async start(name: string, brokers = 3): Promise<DedicatedKafkaCluster> {
    const port = await freePorts(brokers + 1);
    const cluster = localKafkaCluster(
      port,
      `${name}-${randomUUID().slice(0, 8)}`,
      brokers,
      FAST_FAILOVER,
    );
    registerCleanup({
      what: `Kafka cluster ${cluster.bootstrap}`,
      close: async () => {
        await stopKafkaCluster(cluster, 'SIGKILL');
        fs.rmSync(cluster.home, { recursive: true, force: true });
      },
    });
    // Last resort when no hook runs: the nodes are detached and would outlive the Jest worker.
    process.once('exit', () => {
      for (const node of [0, ...cluster.brokers.map((b) => b.nodeId)]) {
        const pid = kafkaNodePid(cluster, node);
        if (pid !== null) process.kill(pid, 'SIGKILL');
      }
    });
    await startKafkaCluster(cluster);
    return new DedicatedKafkaCluster(cluster);
  }

  /** Bootstrap list of every broker (KAFKA_BROKERS). */
  get brokers(): string {
    return this.cluster.bootstrap;
  }

  /** Crashes broker `nodeId` (SIGKILL: no controlled shutdown, no leadership handed over). */
  kill(nodeId: number): Promise<void> {
    return stopKafkaNode(this.cluster, nodeId, 'SIGKILL');
  }

  /** Starts broker `nodeId` again on its own ports and data; resolves once it is registered. */
  restart(nodeId: number): Promise<void> {
    return startKafkaBroker(this.cluster, nodeId);
  }

  /** True while the broker's process runs. */
  running(nodeId: number): boolean {
    return kafkaNodePid(this.cluster, nodeId) !== null;
  }

  /**
   * Runs `work` with a fresh admin client, again and again for up to `timeoutMs` while it fails:
   * right after a broker died or came back, answers like "in the middle of a leadership
   * election" are expected for a moment and say nothing about the test.
   */
  private async withAdmin<T>(
    work: (admin: ReturnType<Kafka['admin']>) => Promise<T>,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const admin = await this.admin().catch((e: unknown) => e as Error);
      try {
        if (admin instanceof Error) throw admin;
        return await work(admin);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        if (!(admin instanceof Error)) await admin.disconnect().catch(() => undefined);
      }
    }
  }

  /** An admin client on the cluster; the caller disconnects it. */
  async admin(): Promise<ReturnType<Kafka['admin']>> {
    const admin = new Kafka({
      clientId: 'e2e-cluster-admin',
      brokers: this.brokers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 2, initialRetryTime: 100 },
    }).admin();
    await admin.connect();
    return admin;
  }

  /** Leader, ISR and replicas of every partition of `topic`, as the cluster reports them now. */
  async partitions(topic: string): Promise<PartitionState[]> {
    return this.withAdmin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0].partitions
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          isr: [...p.isr].sort(),
          replicas: [...p.replicas].sort(),
        }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  /** The broker that leads `partition` of `topic` now (-1 while it has no leader). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const p = (await this.partitions(topic)).find((x) => x.partition === partition);
    if (!p) throw new Error(`${topic} has no partition ${partition}`);
    return p.leader;
  }

  /** High watermark (records acknowledged to acks=all producers) of each partition. */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    return this.withAdmin(async (admin) => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    });
  }

  /**
   * The broker leading the most records of `topic` (the busiest partitions), with the
   * partitions it leads.
   */
  async busiestLeader(topic: string): Promise<{ broker: number; partitions: number[] }> {
    const [parts, ends] = await Promise.all([this.partitions(topic), this.endOffsets(topic)]);
    const load = new Map<number, number>();
    // A partition between leaders (-1) has no broker to kill.
    for (const p of parts.filter((x) => x.leader >= 0))
      load.set(p.leader, (load.get(p.leader) ?? 0) + (ends.get(p.partition) ?? 0));
    const broker = [...load.entries()].sort((a, b) => b[1] - a[1])[0][0];
    return { broker, partitions: parts.filter((p) => p.leader === broker).map((p) => p.partition) };
  }

  /** Topic-level settings of `topic` (e.g. min.insync.replicas). */
  async topicConfig(topic: string, names: string[]): Promise<Record<string, string>> {
    return this.withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: topic, configNames: names }], // 2: TOPIC
      });
      return Object.fromEntries(
        resources[0].configEntries.map((e) => [e.configName, e.configValue]),
      );
    });
  }
}
