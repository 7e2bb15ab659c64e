import fs from 'node:fs';
import path from 'node:path';
import { ensureKafkaJars, java, newClusterId, probeAdmin, runToEnd } from './kafka';
import { CACHE_DIR } from './paths';
import { isAlive, isListening, waitFor } from './wait';

/** One broker of a local cluster. */
export interface KafkaClusterBroker {
  /** Kafka's node.id (1..N; the controller is node 0). */
  readonly nodeId: number;
  readonly port: number;
  readonly address: string;
  readonly home: string;
}

/**
 * A local KRaft cluster: one controller-only node and N broker-only nodes, each its own JVM.
 *
 * Why a separate controller and not N combined nodes: with combined nodes the metadata quorum
 * goes with the brokers, so losing two of three would also stop leader election and ISR
 * changes, and Kafka would never get to answer NOT_ENOUGH_REPLICAS. With one controller the
 * brokers can fail freely. That controller is a single point of failure for metadata, which is
 * fine for development and tests; production runs three controllers (docs/outbox-relay.md).
 */
export interface LocalKafkaCluster {
  readonly home: string;
  readonly controllerPort: number;
  readonly brokers: readonly KafkaClusterBroker[];
  /** Bootstrap list of every broker, as KAFKA_BROKERS takes it. */
  readonly bootstrap: string;
  /** Extra server properties for every node (tests tune failure detection with these). */
  readonly properties: Readonly<Record<string, string>>;
}

/**
 * The layout of a cluster of `brokerCount` brokers from `basePort`: the controller on
 * basePort + 1 (as for the single broker, so 9092/9093 stay the familiar pair) and the brokers
 * on basePort, basePort + 2, basePort + 3, ... (brokerCount + 1 consecutive ports in all).
 */
export function localKafkaCluster(
  basePort: number,
  name: string,
  brokerCount: number,
  properties: Record<string, string> = {},
): LocalKafkaCluster {
  const home = path.join(CACHE_DIR, name);
  const brokers = Array.from({ length: brokerCount }, (_, i) => {
    const port = i === 0 ? basePort : basePort + i + 1;
    return {
      nodeId: i + 1,
      port,
      address: `127.0.0.1:${port}`,
      home: path.join(home, `broker-${i + 1}`),
    };
  });
  return {
    home,
    controllerPort: basePort + 1,
    brokers,
    bootstrap: brokers.map((b) => b.address).join(','),
    properties,
  };
}

// Four JVMs share a small machine: small heaps, the serial collector (no GC threads per core)
// and only the quick JIT tier, which halves the CPU a broker burns while starting; a local
// cluster carries test and development traffic, not production throughput.
const NODE_JVM = ['-Xms128m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

const controllerHome = (c: LocalKafkaCluster) => path.join(c.home, 'controller');
const pidFile = (home: string) => path.join(home, 'kafka.pid');

function writeNodeConfig(c: LocalKafkaCluster, nodeId: number): string {
  const broker = c.brokers.find((b) => b.nodeId === nodeId);
  const home = broker ? broker.home : controllerHome(c);
  const replicas = Math.min(3, c.brokers.length);
  const common = [
    `node.id=${nodeId}`,
    // Static quorum: every node knows the one voter, no --standalone bootstrapping needed.
    `controller.quorum.voters=0@127.0.0.1:${c.controllerPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(home, 'data')}`,
  ];
  const role = broker
    ? [
        'process.roles=broker',
        `listeners=PLAINTEXT://${broker.address}`,
        `advertised.listeners=PLAINTEXT://${broker.address}`,
        'inter.broker.listener.name=PLAINTEXT',
        'num.partitions=6',
        `offsets.topic.replication.factor=${replicas}`,
        `transaction.state.log.replication.factor=${replicas}`,
        `transaction.state.log.min.isr=${Math.min(2, replicas)}`,
        `share.coordinator.state.topic.replication.factor=${replicas}`,
        `share.coordinator.state.topic.min.isr=${Math.min(2, replicas)}`,
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
      ]
    : ['process.roles=controller', `listeners=CONTROLLER://127.0.0.1:${c.controllerPort}`];
  const extra = Object.entries(c.properties).map(([k, v]) => `${k}=${v}`);
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, 'server.properties');
  fs.writeFileSync(file, [...common, ...role, ...extra, ''].join('\n'));
  return file;
}

async function startNode(c: LocalKafkaCluster, nodeId: number, clusterId: string): Promise<void> {
  const home = nodeId === 0 ? controllerHome(c) : c.brokers[nodeId - 1].home;
  const config = writeNodeConfig(c, nodeId);
  if (!fs.existsSync(path.join(home, 'data', 'meta.properties'))) {
    await runToEnd(
      java(
        ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config],
        undefined,
        NODE_JVM,
      ),
      `kafka-storage format (node ${nodeId})`,
    );
  }
  const log = fs.openSync(path.join(home, 'kafka.log'), 'a');
  const child = java(['kafka.Kafka', config], log, NODE_JVM);
  child.unref();
  fs.closeSync(log);
  fs.writeFileSync(pidFile(home), String(child.pid));
}

function clusterId(c: LocalKafkaCluster): string {
  const file = path.join(c.home, 'cluster.id');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(c.home, { recursive: true });
    fs.writeFileSync(file, newClusterId());
  }
  return fs.readFileSync(file, 'utf8');
}

/**
 * Starts the controller and every broker that is not running (formatting storage on first use)
 * and returns once all brokers are registered and unfenced. Idempotent.
 */
export async function startKafkaCluster(c: LocalKafkaCluster): Promise<void> {
  ensureKafkaJars();
  const id = clusterId(c);
  const nodes = [0, ...c.brokers.map((b) => b.nodeId)];
  const ports = [c.controllerPort, ...c.brokers.map((b) => b.port)];
  await Promise.all(
    nodes.map(async (n, i) => {
      if (!(await isListening('127.0.0.1', ports[i]))) await startNode(c, n, id);
    }),
  );
  await waitFor(
    `a Kafka cluster of ${c.brokers.length} brokers on ${c.bootstrap}`,
    async () => (await clusterBrokers(c.bootstrap)).length === c.brokers.length,
    120_000,
    500,
  );
}

/** Starts one broker again (after stopKafkaBroker) and waits until it is registered. */
export async function startKafkaBroker(c: LocalKafkaCluster, nodeId: number): Promise<void> {
  await startNode(c, nodeId, clusterId(c));
  await waitFor(
    `broker ${nodeId} to rejoin`,
    async () => (await clusterBrokers(c.bootstrap)).includes(nodeId),
    90_000,
    250,
  );
}

/** The pid of a running node (0: the controller), or null. */
export function kafkaNodePid(c: LocalKafkaCluster, nodeId: number): number | null {
  const home = nodeId === 0 ? controllerHome(c) : c.brokers[nodeId - 1].home;
  if (!fs.existsSync(pidFile(home))) return null;
  const pid = Number(fs.readFileSync(pidFile(home), 'utf8'));
  return isAlive(pid) ? pid : null;
}

/**
 * Stops one node (0: the controller): SIGTERM is a controlled shutdown, SIGKILL a crash. Resolves
 * once the process is gone.
 */
export async function stopKafkaNode(
  c: LocalKafkaCluster,
  nodeId: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const home = nodeId === 0 ? controllerHome(c) : c.brokers[nodeId - 1].home;
  const pid = kafkaNodePid(c, nodeId);
  if (pid !== null) {
    process.kill(pid, signal);
    try {
      await waitFor(`Kafka node ${nodeId} to stop`, async () => !isAlive(pid), 30_000, 50);
    } catch {
      process.kill(pid, 'SIGKILL');
      await waitFor(`Kafka node ${nodeId} to die`, async () => !isAlive(pid), 10_000, 50);
    }
  }
  fs.rmSync(pidFile(home), { force: true });
}

/** Stops the brokers, then the controller (brokers shut down cleanly only while it answers). */
export async function stopKafkaCluster(
  c: LocalKafkaCluster,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  await Promise.all(c.brokers.map((b) => stopKafkaNode(c, b.nodeId, signal)));
  await stopKafkaNode(c, 0, signal);
}

/** Node ids of the brokers that the cluster reports alive (registered and unfenced). */
export async function clusterBrokers(bootstrap: string): Promise<number[]> {
  const admin = probeAdmin(bootstrap);
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
