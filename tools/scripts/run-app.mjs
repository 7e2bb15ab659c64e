// Runs a built app (dist/apps/<app>/main.js) for local development (`nx serve`, `npm start`).
// DATABASE_URL / KAFKA_BROKERS from the environment win; otherwise the addresses come from
// tools/infra (which brings the local infrastructure up when needed). Signals are passed on, so
// SIGTERM drains the app.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { infraUp } from './infra-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = process.argv[2];
const env =
  process.env.DATABASE_URL && process.env.KAFKA_BROKERS
    ? process.env
    : { ...infraUp(process.env, { quiet: true }), ...process.env };
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
