import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createLogger } from '@realchat/platform';
import { KafkaSink } from '../src/adapters/kafka-sink';
import { eventSinkContract } from './contract/event-sink.contract';
import { InMemorySink } from './fakes/in-memory-sink';
import { brokers, createTopic, readTopic } from './support/kafka';

const logger = createLogger('sink-contract', 'silent');

eventSinkContract('in-memory sink (unit tests)', () => ({
  async create(maxRecordBytes) {
    const sink = new InMemorySink(maxRecordBytes);
    return { sink, read: async () => [...sink.records] };
  },
  async unreachable() {
    const sink = new InMemorySink();
    sink.down = true;
    return sink;
  },
}));

/** A local port nobody listens on (taken from the OS, then freed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function kafkaSink(topic: string, brokerList: string[]): KafkaSink {
  return new KafkaSink(
    {
      brokers: brokerList,
      clientId: 'sink-contract',
      topic,
      topicPartitions: 3,
      topicReplicationFactor: 1,
      requestTimeoutMs: 5000,
    },
    logger,
  );
}

eventSinkContract('Kafka sink (real broker)', () => ({
  async create(maxRecordBytes) {
    // Our own topic, with the broker's record size limit set low for the size test.
    const topic = `sink-contract-${randomUUID()}`;
    await createTopic(topic, 3, { 'max.message.bytes': String(maxRecordBytes) });
    return {
      sink: kafkaSink(topic, brokers),
      read: (count) => readTopic(topic, (r) => r.length >= count),
    };
  },
  async unreachable() {
    return kafkaSink(`sink-contract-${randomUUID()}`, [`127.0.0.1:${await closedPort()}`]);
  },
}));
