import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { CACHE_DIR, REPO_ROOT } from './paths';
import { isAlive, isListening, waitFor } from './wait';

/** A single-node KRaft Apache Kafka broker run from the official jars on the machine's Java. */
export interface LocalKafka {
  readonly port: number;
  readonly controllerPort: number;
  /** Folder of this broker's config, data, log and pid file. */
  readonly home: string;
  readonly brokers: string;
}

export function localKafka(
  port = Number(process.env.REALCHAT_KAFKA_PORT ?? 9092),
  name = 'kafka',
): LocalKafka {
  return {
    port,
    controllerPort: port + 1,
    home: path.join(CACHE_DIR, name),
    brokers: `127.0.0.1:${port}`,
  };
}

const LIBS_DIR = path.join(CACHE_DIR, 'kafka-libs');
const POM = path.join(REPO_ROOT, 'tools', 'infra', 'kafka', 'pom.xml');

/** Resolves the Kafka jars from Maven Central once (Maven's ~/.m2 makes later runs fast). */
export function ensureKafkaJars(): string {
  const marker = path.join(LIBS_DIR, '.complete');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === fs.readFileSync(POM, 'utf8')) {
    return LIBS_DIR;
  }
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  execFileSync(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${LIBS_DIR}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  fs.writeFileSync(marker, fs.readFileSync(POM, 'utf8'));
  return LIBS_DIR;
}

/**
 * A JVM on the Kafka jars. `jvmOptions` replaces the heap and GC settings (the cluster's nodes
 * run with smaller heaps: four JVMs share the machine).
 */
export function java(
  args: string[],
  logFd?: number,
  jvmOptions: readonly string[] = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC'],
): ReturnType<typeof spawn> {
  return spawn(
    'java',
    [
      ...jvmOptions,
      `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'tools', 'infra', 'kafka', 'log4j2.properties')}`,
      '-cp',
      `${LIBS_DIR}/*`,
      ...args,
    ],
    logFd === undefined ? { stdio: 'pipe' } : { detached: true, stdio: ['ignore', logFd, logFd] },
  );
}

function writeConfig(k: LocalKafka): string {
  const file = path.join(k.home, 'server.properties');
  fs.mkdirSync(k.home, { recursive: true });
  fs.writeFileSync(
    file,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${k.controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${k.port},CONTROLLER://127.0.0.1:${k.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${k.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(k.home, 'data')}`,
      'num.partitions=6',
      ...SINGLE_BROKER_SETTINGS,
      '',
    ].join('\n'),
  );
  return file;
}

export function runToEnd(child: ReturnType<typeof spawn>, what: string): Promise<string> {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${what} failed (${code}): ${out}`)),
    ),
  );
}

/**
 * A KRaft cluster id as `kafka-storage random-uuid` prints it (16 random bytes, base64url without
 * padding, never starting with '-'), without starting a JVM for it.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const pidFile = (k: LocalKafka) => path.join(k.home, 'kafka.pid');

/** Starts the broker (formatting its storage on first use); a no-op when it already runs. */
export async function startKafka(k: LocalKafka = localKafka()): Promise<void> {
  if (!(await isListening('127.0.0.1', k.port))) {
    ensureKafkaJars();
    const config = writeConfig(k);
    if (!fs.existsSync(path.join(k.home, 'data', 'meta.properties'))) {
      const clusterId = newClusterId();
      await runToEnd(
        java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config, '--standalone']),
        'kafka-storage format',
      );
    }
    const log = fs.openSync(path.join(k.home, 'kafka.log'), 'a');
    const child = java(['kafka.Kafka', config], log);
    child.unref();
    fs.writeFileSync(pidFile(k), String(child.pid));
  }
  await waitFor(`Kafka on ${k.brokers}`, () => brokerAnswers(k.brokers), 90_000, 500);
}

/** Stops the broker: SIGTERM (controlled shutdown), SIGKILL if it is still alive after 30 s. */
export async function stopKafka(
  k: LocalKafka = localKafka(),
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!fs.existsSync(pidFile(k))) return;
  const pid = Number(fs.readFileSync(pidFile(k), 'utf8'));
  if (isAlive(pid)) {
    process.kill(pid, signal);
    try {
      await waitFor('Kafka to stop', async () => !isAlive(pid), 30_000);
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
  fs.rmSync(pidFile(k), { force: true });
}

/**
 * Broker settings of a one-broker cluster: the internal topics fit on one broker, consumer
 * groups start at once, and only the relay (or a test) creates topics.
 */
export const SINGLE_BROKER_SETTINGS = [
  'offsets.topic.replication.factor=1',
  'transaction.state.log.replication.factor=1',
  'transaction.state.log.min.isr=1',
  'share.coordinator.state.topic.replication.factor=1',
  'share.coordinator.state.topic.min.isr=1',
  'group.initial.rebalance.delay.ms=0',
  'auto.create.topics.enable=false',
];

/** A Kafka admin client for one quick probe: no retries, a 1 s connect timeout. */
export function probeAdmin(bootstrap: string) {
  return new Kafka({
    clientId: 'realchat-infra-probe',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin();
}

/** True once the broker answers metadata requests (listening alone is not ready). */
export async function brokerAnswers(brokers: string): Promise<boolean> {
  const admin = probeAdmin(brokers);
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
