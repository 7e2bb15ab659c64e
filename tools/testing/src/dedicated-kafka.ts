import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { freePorts, LocalKafka, localKafka, startKafka, stopKafka } from '@realchat/infra';
import { registerCleanup } from './cleanup-registry';

/**
 * A single-node broker of the test's own (same jars and code as the local infrastructure), for
 * tests that stop Kafka: stopping it disturbs no other test. Its ports are free ones that stay
 * reserved across a restart (see freePorts) and its data folder is unique, so two runs never
 * share either; both go when the test (or suite) that started it ends.
 */
export async function startDedicatedKafka(name: string): Promise<LocalKafka> {
  const port = await freePorts(2); // broker and controller
  const broker = localKafka(port, `${name}-${randomUUID().slice(0, 8)}`);
  registerCleanup({
    what: `Kafka ${broker.brokers}`,
    close: async () => {
      await stopKafka(broker, 'SIGKILL');
      fs.rmSync(broker.home, { recursive: true, force: true });
    },
  });
  // Last resort when no hook runs: the broker is detached, so it would outlive the Jest worker.
  process.once('exit', () => {
    try {
      process.kill(Number(fs.readFileSync(`${broker.home}/kafka.pid`, 'utf8')), 'SIGKILL');
    } catch {
      // not running
    }
  });
  await startKafka(broker);
  return broker;
}
