import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  brokerAnswers,
  CACHE_DIR,
  ensureKafkaJars,
  freePorts,
  REPO_ROOT,
  SINGLE_BROKER_SETTINGS,
} from '@realchat/infra';
import type { CertFiles, TestCertificates } from './certificates';
import { registerCleanup } from './cleanup-registry';
import { eventually } from './outbox-load';

/** A dedicated broker with a SASL_SSL listener for clients (docs/tls.md "Kafka"). */
export interface SecureKafka {
  /** host:port of the SASL_SSL listener (SCRAM-SHA-512 and PLAIN). */
  readonly saslSsl: string;
  /** host:port of a PLAINTEXT listener, for the test's own admin and consumer. */
  readonly plaintext: string;
  /** CA that signed the broker's certificate. */
  readonly ca: CertFiles;
  /** A SCRAM-SHA-512 user created at format time (also a PLAIN user). */
  readonly user: { readonly name: string; readonly password: string };
}

/**
 * Starts a single-node KRaft broker of the test's own, like startDedicatedKafka, but whose client
 * listener is SASL_SSL with a PEM keystore made by `certs` and a SCRAM-SHA-512 user added when the
 * storage is formatted. It goes when the test (or suite) that started it ends.
 */
export async function startSecureKafka(
  name: string,
  certs: TestCertificates,
): Promise<SecureKafka> {
  const port = await freePorts(3); // SASL_SSL, controller, PLAINTEXT
  const home = path.join(CACHE_DIR, `${name}-${randomUUID().slice(0, 8)}`);
  fs.mkdirSync(home, { recursive: true });
  const ca = certs.ca(`${name}-kafka-ca`);
  const server = certs.server(`${name}-kafka`, ca);
  // Kafka's PEM keystore: the private key (PKCS#8) followed by the certificate chain.
  const keystore = path.join(home, 'keystore.pem');
  fs.writeFileSync(keystore, fs.readFileSync(server.key, 'utf8') + fs.readFileSync(server.cert));
  const user = { name: 'relay', password: randomBytes(12).toString('hex') };
  const config = path.join(home, 'server.properties');
  fs.writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${port + 1}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1},INTERNAL://127.0.0.1:${port + 2}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${port + 2}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${user.name}="${user.password}";`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore}`,
      `log.dirs=${path.join(home, 'data')}`,
      'num.partitions=3',
      ...SINGLE_BROKER_SETTINGS,
      '',
    ].join('\n'),
  );
  const libs = ensureKafkaJars();
  const java = (args: string[], log: number | 'pipe') =>
    spawn(
      'java',
      [
        '-Xms256m',
        '-Xmx512m',
        `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'tools', 'infra', 'kafka', 'log4j2.properties')}`,
        '-cp',
        `${libs}/*`,
        ...args,
      ],
      log === 'pipe' ? { stdio: 'pipe' } : { detached: true, stdio: ['ignore', log, log] },
    );
  // SCRAM credentials live in the cluster metadata; with KRaft they can be written at format time.
  const format = java(
    [
      'kafka.tools.StorageTool',
      'format',
      '-t',
      randomBytes(16).toString('base64url').replace(/^-/, 'A'),
      '-c',
      config,
      '--standalone',
      '--add-scram',
      `SCRAM-SHA-512=[name=${user.name},password=${user.password}]`,
    ],
    'pipe',
  );
  let out = '';
  format.stdout?.on('data', (d) => (out += d));
  format.stderr?.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => format.on('close', resolve));
  if (code !== 0) throw new Error(`kafka-storage format failed (${code}): ${out}`);

  const log = fs.openSync(path.join(home, 'kafka.log'), 'a');
  const broker = java(['kafka.Kafka', config], log);
  broker.unref();
  const kill = () => {
    try {
      process.kill(broker.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', kill); // last resort: the broker is detached
  registerCleanup({
    what: `secure Kafka 127.0.0.1:${port}`,
    close: async () => {
      kill();
      fs.rmSync(home, { recursive: true, force: true });
    },
  });
  const plaintext = `127.0.0.1:${port + 2}`;
  await eventually(
    `secure Kafka on ${plaintext}`,
    () => brokerAnswers(plaintext).catch(() => false),
    90_000,
    500,
  );
  return { saslSsl: `127.0.0.1:${port}`, plaintext, ca, user };
}
