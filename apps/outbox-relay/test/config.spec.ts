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
