import { dockerAvailable, startContainers } from './containers';
import { localKafka, startKafka, stopKafka, brokerAnswers } from './kafka';
import { ensureDatabase, localPostgres, startPostgres, stopPostgres } from './postgres';
import { isListening } from './wait';

/** Where the services' dependencies are. */
export interface InfraEndpoints {
  databaseUrl: string;
  kafkaBrokers: string;
}

/**
 * The PostgreSQL and Kafka to use: DATABASE_URL / KAFKA_BROKERS when given, otherwise the local
 * ones (started when not running). Idempotent; returns once both answer.
 */
export async function ensureInfra(
  log: (line: string) => void = () => undefined,
): Promise<InfraEndpoints> {
  const given = { databaseUrl: process.env.DATABASE_URL, kafkaBrokers: process.env.KAFKA_BROKERS };
  const pg = localPostgres();
  const kafka = localKafka();
  await Promise.all([
    given.databaseUrl
      ? ensureDatabase(given.databaseUrl)
      : (log(`local PostgreSQL on 127.0.0.1:${pg.port} (data in ${pg.dataDir})`),
        startPostgres(pg)),
    given.kafkaBrokers
      ? Promise.resolve()
      : (log(`local Kafka (KRaft) on ${kafka.brokers} (data in ${kafka.home})`), startKafka(kafka)),
  ]);
  return {
    databaseUrl: given.databaseUrl ?? pg.url,
    kafkaBrokers: given.kafkaBrokers ?? kafka.brokers,
  };
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

/** Stops the local PostgreSQL and Kafka (never anything given by environment). */
export async function stopInfra(): Promise<void> {
  await Promise.all([stopKafka(localKafka()), stopPostgres(localPostgres())]);
}

export async function infraStatus(): Promise<Record<string, string>> {
  const pg = localPostgres();
  const kafka = localKafka();
  const pgUp = await isListening('127.0.0.1', pg.port);
  const kafkaUp = await brokerAnswers(kafka.brokers).catch(() => false);
  return {
    postgres: `${pgUp ? 'up' : 'down'} ${pg.url}`,
    kafka: `${kafkaUp ? 'up' : 'down'} ${kafka.brokers}`,
  };
}
