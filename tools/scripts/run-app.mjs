// Runs a built app (dist/apps/<app>/main.js) for local development: the local infrastructure's
// addresses are the defaults (tools/infra: PostgreSQL on 127.0.0.1:54320, Kafka on 9092), and
// anything set in the environment wins. Signals are passed on, so SIGTERM drains the app.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = process.argv[2];
const pgPort = process.env.REALCHAT_PG_PORT ?? '54320';
const env = {
  DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${pgPort}/realchat`,
  KAFKA_BROKERS: `127.0.0.1:${process.env.REALCHAT_KAFKA_PORT ?? '9092'}`,
  ...process.env,
};
const child = spawn(
  process.execPath,
  ['--enable-source-maps', path.join(root, 'dist', 'apps', app, 'main.js')],
  {
    env,
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
