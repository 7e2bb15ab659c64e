import fs from 'node:fs';
import path from 'node:path';
import { dockerAvailable, startContainers } from './containers';
import { localKafka, startKafka, stopKafka, brokerAnswers } from './kafka';
import {
  clusterBrokers,
  kafkaNodePid,
  localKafkaCluster,
  startKafkaCluster,
  stopKafkaCluster,
} from './kafka-cluster';
import { ensureDatabase, localPostgres, startPostgres, stopPostgres } from './postgres';
import { isListening } from './wait';

/** Where the services' dependencies are. */
export interface InfraEndpoints {
  databaseUrl: string;
  kafkaBrokers: string;
}

export interface InfraOptions {
  /**
   * Local Kafka brokers: 1 (a single combined node, the default) or more (a KRaft cluster with
   * its own controller, see kafka-cluster.ts). Unset: whichever local layout already runs.
   */
  readonly kafkaBrokers?: number;
}

/** The local multi-broker cluster (`up --kafka-brokers N`), on the single broker's ports. */
export function localCluster(brokers = 3) {
  return localKafkaCluster(localKafka().port, 'kafka-cluster', brokers);
}

/** How many brokers the local cluster was started with (its data folders), 0 when none runs. */
function runningClusterSize(): number {
  const c = localCluster();
  if (kafkaNodePid(c, 0) === null) return 0;
  return fs.existsSync(c.home)
    ? fs.readdirSync(c.home).filter((f) => f.startsWith('broker-')).length
    : 0;
}

/** Starts the local Kafka layout asked for; returns its bootstrap list. */
async function ensureLocalKafka(
  wanted: number | undefined,
  log: (line: string) => void,
): Promise<string> {
  const running = runningClusterSize();
  const brokers = wanted ?? (running > 0 ? running : 1);
  const single = localKafka();
  if (brokers === 1) {
    if (running > 0)
      throw new Error(
        `a local Kafka cluster of ${running} brokers runs; stop it first (npm run infra -- down)`,
      );
    log(`local Kafka (KRaft) on ${single.brokers} (data in ${single.home})`);
    await startKafka(single);
    return single.brokers;
  }
  if (running > 0 && running !== brokers)
    throw new Error(`a local Kafka cluster of ${running} brokers runs; stop it first`);
  if (running === 0 && fs.existsSync(path.join(single.home, 'kafka.pid')))
    throw new Error('the single local Kafka broker runs; stop it first (npm run infra -- down)');
  const cluster = localCluster(brokers);
  log(
    `local Kafka cluster (KRaft, ${brokers} brokers) on ${cluster.bootstrap} (data in ${cluster.home})`,
  );
  await startKafkaCluster(cluster);
  return cluster.bootstrap;
}

/**
 * The PostgreSQL and Kafka to use: DATABASE_URL / KAFKA_BROKERS when given, otherwise the local
 * ones (started when not running). Idempotent; returns once both answer.
 */
export async function ensureInfra(
  log: (line: string) => void = () => undefined,
  options: InfraOptions = {},
): Promise<InfraEndpoints> {
  const given = { databaseUrl: process.env.DATABASE_URL, kafkaBrokers: process.env.KAFKA_BROKERS };
  const pg = localPostgres();
  const [, kafkaBrokers] = await Promise.all([
    given.databaseUrl
      ? ensureDatabase(given.databaseUrl)
      : (log(`local PostgreSQL on 127.0.0.1:${pg.port} (data in ${pg.dataDir})`),
        startPostgres(pg)),
    given.kafkaBrokers
      ? Promise.resolve(given.kafkaBrokers)
      : ensureLocalKafka(options.kafkaBrokers, log),
  ]);
  return { databaseUrl: given.databaseUrl ?? pg.url, kafkaBrokers };
}

/**
 * For tests: the given services, else containers when a Docker engine is reachable, else the
 * local ones. Exported into process.env so that every test and child process uses the same.
 */
export async function ensureTestInfra(
  log: (line: string) => void = () => undefined,
): Promise<InfraEndpoints> {
  let endpoints: InfraEndpoints;
  if (!process.env.DATABASE_URL && !process.env.KAFKA_BROKERS && dockerAvailable()) {
    log('starting PostgreSQL and Kafka with testcontainers');
    endpoints = await startContainers();
    await ensureDatabase(endpoints.databaseUrl);
  } else {
    endpoints = await ensureInfra(log);
  }
  process.env.DATABASE_URL = endpoints.databaseUrl;
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers;
  return endpoints;
}

/** Stops the local PostgreSQL and Kafka, single broker or cluster (never anything given). */
export async function stopInfra(): Promise<void> {
  const size = runningClusterSize();
  await Promise.all([
    stopKafka(localKafka()),
    size > 0 ? stopKafkaCluster(localCluster(size)) : Promise.resolve(),
    stopPostgres(localPostgres()),
  ]);
}

export async function infraStatus(): Promise<Record<string, string>> {
  const pg = localPostgres();
  const size = runningClusterSize();
  const bootstrap = size > 0 ? localCluster(size).bootstrap : localKafka().brokers;
  const pgUp = await isListening('127.0.0.1', pg.port);
  const kafkaUp = await brokerAnswers(bootstrap).catch(() => false);
  // A cluster is up as a whole only when every broker is registered; name the missing ones.
  const alive = kafkaUp ? await clusterBrokers(bootstrap).catch(() => []) : [];
  const expected = Math.max(size, 1);
  const brokers = `${alive.length}/${expected} broker${expected > 1 ? 's' : ''}`;
  return {
    postgres: `${pgUp ? 'up' : 'down'} ${pg.url}`,
    kafka: `${kafkaUp ? (alive.length === expected ? 'up' : 'degraded') : 'down'} ${bootstrap} (${brokers})`,
  };
}
