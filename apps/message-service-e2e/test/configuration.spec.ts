import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Runs a built app with exactly `env` (plus PATH) and returns how it ended. */
function run(
  app: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'apps', app, 'main.js')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000); // a start that hangs fails below
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/**
 * "Every variable is read once at start-up; all invalid ones are reported together and the
 * process exits with status 2." Each app gets several bad variables at once (wrong type, out of
 * range, wrong URL scheme, missing) and must name every one of them, and no good one.
 */
describe('a bad configuration', () => {
  it.each([
    [
      'message-api',
      {
        DATABASE_URL: 'mysql://db/realchat',
        MESSAGE_API_PORT: '70000',
        MEMBERS_CACHE_TTL_MS: 'soon',
        CONVERSATION_API_ADDR: 'no-port-here',
        LOG_LEVEL: 'loud',
      },
      { MESSAGE_API_HOST: '127.0.0.1', MAX_CONTENT_BYTES: '2048' },
    ],
    [
      'outbox-relay',
      {
        KAFKA_BROKERS: 'broker-without-port',
        RELAY_SHARD_COUNT: '0',
        RELAY_BATCH_SIZE: '-1',
        RELAY_HTTP_PORT: '99999',
      },
      { KAFKA_TOPIC: 'chat.messages.v1', RELAY_LEASE_MS: '5000' },
      // DATABASE_URL left out: required
      ['DATABASE_URL'],
    ],
    [
      'conversation-stub',
      {
        DATABASE_URL: 'http://db/realchat',
        CONVERSATION_STUB_PORT: '-5',
        DATABASE_POOL_SIZE: 'many',
        SHUTDOWN_GRACE_MS: '1.5',
      },
      { CONVERSATION_STUB_HOST: '127.0.0.1' },
    ],
    [
      // jwt mode: the variables it needs are named with the others (docs/security.md).
      'message-api',
      { DATABASE_URL: 'mysql://db/realchat', JWT_ALGORITHMS: 'HS256,none', SEND_RATE_BURST: '0' },
      { AUTH_MODE: 'jwt', JWT_CLOCK_SKEW_S: '5' },
      ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_JWKS_FILE'],
    ],
    [
      'conversation-stub',
      { DATABASE_URL: 'http://db/realchat', JWT_JWKS_URL: 'ftp://keys/jwks.json' },
      { AUTH_MODE: 'jwt', JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'realchat' },
    ],
    // TLS and SASL settings that contradict each other (docs/tls.md), each named.
    [
      'message-api',
      {
        GRPC_TLS_KEY_FILE: '/nonexistent/server.key',
        GRPC_TLS_ALLOWED_CLIENT_NAMES: 'gateway',
        CONVERSATION_API_TLS_CA_FILE: '/nonexistent/ca.crt',
      },
      { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db', MESSAGE_API_HOST: '127.0.0.1' },
      // required by the key, and needed by the allow-list
      ['GRPC_TLS_CERT_FILE', 'GRPC_TLS_CLIENT_CA_FILE'],
    ],
    [
      'conversation-stub',
      { GRPC_TLS_CLIENT_CA_FILE: '/nonexistent/ca.crt' },
      { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db' },
    ],
    [
      'outbox-relay',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SSL_CA_FILE: '/nonexistent/ca.crt' },
      { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db', KAFKA_SASL_USERNAME: 'relay' },
      // PLAIN needs TLS, and the password is missing
      ['KAFKA_SSL', 'KAFKA_SASL_PASSWORD'],
    ],
  ] as [string, Record<string, string>, Record<string, string>, string[]?][])(
    '%s exits with status 2 naming every bad variable',
    async (app, bad, good, missing = []) => {
      const { code, stderr } = await run(app, { ...good, ...bad });
      expect(code).toBe(2);
      const named = (name: string) => new RegExp(`(^|\\s)${name}[=\\s]`, 'm').test(stderr);
      for (const name of [...Object.keys(bad), ...missing])
        expect([name, named(name)]).toEqual([name, true]);
      for (const name of Object.keys(good)) expect([name, named(name)]).toEqual([name, false]);
    },
  );
});
