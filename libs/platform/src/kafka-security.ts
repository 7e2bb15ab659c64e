import fs from 'node:fs';
import { bool, type ConfigOf, oneOf, str } from './config';

/**
 * TLS and SASL of a Kafka client, the same variables in every app that talks to Kafka (the
 * relay, and the membership events of message-api and the Conversation API stub), so that one
 * Secret configures them all. docs/tls.md.
 */
export const kafkaSecuritySpec = {
  KAFKA_SSL: bool('connect to Kafka over TLS (docs/tls.md)', false),
  KAFKA_SSL_CA_FILE: str(
    "PEM CA bundle the brokers' certificates must chain to (default: system roots)",
    '',
  ),
  KAFKA_SSL_CERT_FILE: str('PEM client certificate, for brokers that require one', ''),
  KAFKA_SSL_KEY_FILE: str('PEM private key of KAFKA_SSL_CERT_FILE', ''),
  KAFKA_SASL_MECHANISM: oneOf(
    'SASL mechanism (none: no SASL)',
    ['none', 'scram-sha-512', 'scram-sha-256', 'plain'] as const,
    'none',
  ),
  KAFKA_SASL_USERNAME: str('SASL user name', ''),
  KAFKA_SASL_PASSWORD: str('SASL password (never logged)', ''),
};

export type KafkaSecurityEnv = ConfigOf<typeof kafkaSecuritySpec>;

type SaslMechanism = Exclude<KafkaSecurityEnv['KAFKA_SASL_MECHANISM'], 'none'>;

/** One mechanism with its credentials (kafkajs types SASL options as this union too). */
export type KafkaSasl = {
  [M in SaslMechanism]: {
    readonly mechanism: M;
    readonly username: string;
    readonly password: string;
  };
}[SaslMechanism];

/** What a Kafka adapter needs to connect securely; unset fields: plaintext, no SASL. */
export interface KafkaSecurity {
  /** TLS to the brokers (PEM strings; unset CA: the system's roots). */
  readonly ssl?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly sasl?: KafkaSasl;
}

/**
 * Combinations of the KAFKA_SSL_* and KAFKA_SASL_* variables that cannot work, and unreadable
 * files, each naming its variables.
 */
export function kafkaSecurityProblems(parsed: Partial<KafkaSecurityEnv>): string[] {
  // Variables that failed to parse are reported already; judge the rest with their defaults.
  const e: KafkaSecurityEnv = {
    KAFKA_SSL: false,
    KAFKA_SSL_CA_FILE: '',
    KAFKA_SSL_CERT_FILE: '',
    KAFKA_SSL_KEY_FILE: '',
    KAFKA_SASL_MECHANISM: 'none',
    KAFKA_SASL_USERNAME: '',
    KAFKA_SASL_PASSWORD: '',
    ...parsed,
  };
  const problems: string[] = [];
  const files = [
    ['KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE],
    ['KAFKA_SSL_CERT_FILE', e.KAFKA_SSL_CERT_FILE],
    ['KAFKA_SSL_KEY_FILE', e.KAFKA_SSL_KEY_FILE],
  ] as const;
  for (const [name, file] of files) {
    if (file === '') continue;
    if (!e.KAFKA_SSL) problems.push(`${name} is set but KAFKA_SSL is false`);
    else if (!readable(file)) problems.push(`${name}=${JSON.stringify(file)}: cannot read`);
  }
  if ((e.KAFKA_SSL_CERT_FILE === '') !== (e.KAFKA_SSL_KEY_FILE === '')) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together');
  }
  if (e.KAFKA_SASL_MECHANISM === 'none') {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (e[name] !== '') problems.push(`${name} is set but KAFKA_SASL_MECHANISM is none`);
    }
  } else {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (e[name] === '') problems.push(`${name} is required with KAFKA_SASL_MECHANISM`);
    }
    // PLAIN sends the password itself; SCRAM never does, so only PLAIN insists on TLS.
    if (e.KAFKA_SASL_MECHANISM === 'plain' && !e.KAFKA_SSL) {
      problems.push('KAFKA_SASL_MECHANISM=plain sends the password in clear: set KAFKA_SSL=true');
    }
  }
  return problems;
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The TLS and SASL settings; the files are read once (rotation: restart the app). Call it only
 * after kafkaSecurityProblems found none.
 */
export function kafkaSecurityOf(e: KafkaSecurityEnv): KafkaSecurity {
  const read = (file: string) => (file === '' ? undefined : fs.readFileSync(file, 'utf8'));
  return {
    ssl: e.KAFKA_SSL
      ? {
          ca: read(e.KAFKA_SSL_CA_FILE),
          cert: read(e.KAFKA_SSL_CERT_FILE),
          key: read(e.KAFKA_SSL_KEY_FILE),
        }
      : undefined,
    sasl:
      e.KAFKA_SASL_MECHANISM === 'none'
        ? undefined
        : ({
            mechanism: e.KAFKA_SASL_MECHANISM,
            username: e.KAFKA_SASL_USERNAME,
            password: e.KAFKA_SASL_PASSWORD,
          } as KafkaSasl),
  };
}

/**
 * The settings as a kafkajs client takes them (`ssl`, `sasl` of its constructor), without
 * importing kafkajs here: its use stays in each app's adapters.
 */
export function kafkaClientSecurity(s: KafkaSecurity): {
  ssl?: { ca?: string[]; cert?: string; key?: string };
  sasl?: KafkaSasl;
} {
  return {
    ssl: s.ssl
      ? { ca: s.ssl.ca ? [s.ssl.ca] : undefined, cert: s.ssl.cert, key: s.ssl.key }
      : undefined,
    sasl: s.sasl,
  };
}
