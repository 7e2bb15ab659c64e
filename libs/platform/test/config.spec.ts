import { Metadata, status } from '@grpc/grpc-js';
import { DomainError } from '@realchat/domain';
import {
  authConfigProblems,
  authConfigSpec,
  bool,
  ConfigError,
  errorInfoOf,
  fieldViolationsOf,
  hostPorts,
  int,
  loadConfig,
  str,
  retryDelayMsOf,
  toStatus,
  url,
} from '../src';

describe('loadConfig', () => {
  const spec = {
    PORT: int('port', 50051, 0, 65535),
    DATABASE_URL: url('database', ['postgresql:', 'postgres:']),
    KAFKA_BROKERS: hostPorts('brokers', '127.0.0.1:9092'),
    NAME: str('name', 'x'),
  };

  it('applies defaults and parses values', () => {
    expect(loadConfig(spec, { DATABASE_URL: 'postgresql://h/db', PORT: '1' })).toEqual({
      PORT: 1,
      DATABASE_URL: 'postgresql://h/db',
      KAFKA_BROKERS: '127.0.0.1:9092',
      NAME: 'x',
    });
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig(spec, { PORT: '70000', KAFKA_BROKERS: 'nope' });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const names = (e as ConfigError).problems.map((p) => p.split(/[=\s]/)[0]);
      expect(names).toEqual(['PORT', 'DATABASE_URL', 'KAFKA_BROKERS']);
    }
  });
});

describe('toStatus', () => {
  it.each([
    ['invalid-argument', status.INVALID_ARGUMENT],
    ['not-found', status.NOT_FOUND],
    ['permission-denied', status.PERMISSION_DENIED],
    ['unauthenticated', status.UNAUTHENTICATED],
    ['already-exists', status.ALREADY_EXISTS],
    ['unavailable', status.UNAVAILABLE],
    ['failed-precondition', status.FAILED_PRECONDITION],
    ['aborted', status.ABORTED],
  ] as const)('maps %s', (kind, code) => {
    expect(toStatus(new DomainError(kind, 'x')).code).toBe(code);
  });

  it('carries field violations as google.rpc.BadRequest', () => {
    const st = toStatus(
      DomainError.invalid([{ field: 'content', description: 'must not be empty' }]),
    );
    expect(fieldViolationsOf(st.metadata as Metadata)).toEqual([
      { field: 'content', description: 'must not be empty' },
    ]);
  });

  it('carries an error cause as google.rpc.ErrorInfo', () => {
    const st = toStatus(
      DomainError.aborted('stale', {
        reason: 'VERSION_MISMATCH',
        metadata: { current_version: '3' },
      }),
    );
    expect(st.code).toBe(status.ABORTED);
    expect(errorInfoOf(st.metadata as Metadata)).toEqual({
      reason: 'VERSION_MISMATCH',
      domain: 'message.realchat',
      metadata: { current_version: '3' },
    });
    expect(fieldViolationsOf(st.metadata as Metadata)).toEqual([]);
  });

  it('carries the retry delay of resource-exhausted as google.rpc.RetryInfo', () => {
    const st = toStatus(DomainError.resourceExhausted('too fast', 1500));
    expect(st.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(retryDelayMsOf(st.metadata as Metadata)).toBe(1500);
    expect(fieldViolationsOf(st.metadata as Metadata)).toEqual([]);
  });

  it('hides unexpected errors behind INTERNAL', () => {
    const st = toStatus(new TypeError('secret stack'));
    expect(st).toMatchObject({ code: status.INTERNAL, details: 'internal error', internal: true });
  });
});

describe('bool', () => {
  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['off', false],
  ])('parses %s as %s', (raw, expected) => {
    expect(loadConfig({ FLAG: bool('a flag', true) }, { FLAG: raw }).FLAG).toBe(expected);
  });

  it('defaults when unset and names the variable when unreadable', () => {
    expect(loadConfig({ FLAG: bool('a flag', true) }, {}).FLAG).toBe(true);
    expect(() => loadConfig({ FLAG: bool('a flag', true) }, { FLAG: 'maybe' })).toThrow(
      /FLAG="maybe": must be true or false/,
    );
  });
});

describe('loadConfig with AUTH_MODE', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ ...authConfigSpec, DATABASE_URL: url('db', ['postgresql:']) }, env, [
      authConfigProblems,
    ]);

  it('defaults to trusted-header and needs nothing else', () => {
    expect(load({ DATABASE_URL: 'postgresql://h/db' }).AUTH_MODE).toBe('trusted-header');
  });

  it('names every missing jwt variable, with the other problems, and masks URL passwords', () => {
    const e = (() => {
      try {
        load({ AUTH_MODE: 'jwt', DATABASE_URL: 'mysql://u:hunter2@h/db', JWT_ALGORITHMS: 'HS256' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.problems.map((p) => p.split(/[ =]/)[0])).toEqual([
      'JWT_ALGORITHMS',
      'DATABASE_URL',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'JWT_JWKS_FILE',
    ]);
    expect(e.message).not.toContain('hunter2');
  });
});
