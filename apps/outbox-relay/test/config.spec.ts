import { ConfigError } from '@realchat/platform';
import { loadRelayConfig } from '../src/config';

const base = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadRelayConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('loadRelayConfig', () => {
  it('accepts the defaults and the settings the end-to-end tests use', () => {
    expect(problemsOf(base)).toEqual([]);
    expect(problemsOf({ ...base, RELAY_LEASE_MS: '2000' })).toEqual([]);
    expect(problemsOf({ ...base, RELAY_LEASE_MS: '1000' })).toEqual([]);
    const { relay, kafka } = loadRelayConfig({ ...base, SHUTDOWN_GRACE_MS: '4000' });
    expect(relay).toMatchObject({ leaseMs: 10_000, publishTimeoutMs: 2500, drainTimeoutMs: 4000 });
    expect(kafka.requestTimeoutMs).toBe(10_000);
  });

  it('names the variables of settings that contradict each other, all at once', () => {
    const problems = problemsOf({
      ...base,
      RELAY_BACKOFF_MIN_MS: '5000',
      RELAY_BACKOFF_MAX_MS: '1000',
      RELAY_POLL_INTERVAL_MS: '20000',
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^RELAY_BACKOFF_MIN_MS: backoffMinMs \(5000\) must not exceed/);
    expect(problems[1]).toMatch(/^RELAY_POLL_INTERVAL_MS: pollIntervalMs \(20000\)/);
  });
});

describe('loadRelayConfig: Kafka TLS and SASL', () => {
  const ca = `${__filename}`; // any readable file: the relay reads it as the CA bundle

  it('passes TLS and SCRAM settings to the sink', () => {
    const { kafka } = loadRelayConfig({
      ...base,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafka.ssl?.ca).toContain('loadRelayConfig: Kafka TLS and SASL');
    expect(kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'relay',
      password: 'secret',
    });
    expect(loadRelayConfig(base).kafka).toMatchObject({ ssl: undefined, sasl: undefined });
  });

  it.each([
    [
      'a CA file with TLS off',
      { KAFKA_SSL_CA_FILE: ca },
      /^KAFKA_SSL_CA_FILE is set but KAFKA_SSL/,
    ],
    ['an unreadable file', { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent' }, /cannot read/],
    [
      'a certificate without its key',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca },
      /^KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together/,
    ],
    [
      'a mechanism without password',
      { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'relay' },
      /^KAFKA_SASL_PASSWORD is required/,
    ],
    [
      'PLAIN without TLS',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      /^KAFKA_SASL_MECHANISM=plain sends the password in clear/,
    ],
    ['a password without mechanism', { KAFKA_SASL_PASSWORD: 'p' }, /^KAFKA_SASL_PASSWORD is set/],
  ])('refuses %s, naming the variable', (_what, env, problem) => {
    expect(problemsOf({ ...base, ...env })).toEqual([expect.stringMatching(problem)]);
  });
});
