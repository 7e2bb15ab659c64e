// `npm start`: builds the three apps, brings up PostgreSQL and Kafka when none are given
// (DATABASE_URL / KAFKA_BROKERS), migrates, serves the apps, seeds a demo conversation and prints
// the endpoints. Ctrl-C (SIGINT) or SIGTERM stops the apps gracefully; the infrastructure keeps
// running for the next start (`npm run infra -- down` stops it).
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { infraUp } from './infra-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const say = (line) => process.stdout.write(`[start] ${line}\n`);
const run = (cmd, args) =>
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });

say('building apps (nx run-many -t build)');
run(bin('nx'), ['run-many', '-t', 'build', '--output-style=static']); // generates code first
say('bringing up PostgreSQL and Kafka, migrating');
// The apps, the seed and the printed endpoints all use what `up` reports.
const env = { ...process.env, ...infraUp() };

const children = [];
function startApp(app) {
  const child = spawn(process.execPath, [path.join(root, 'tools', 'scripts', 'run-app.mjs'), app], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${app} exited (${code ?? signal}); stopping the others`);
      stop(1);
    }
  });
  children.push(child);
}

function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function waitPort(port, what) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within 30 s`);
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  say('stopping apps (SIGTERM: in-flight work drains)');
  let left = children.length;
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) left--;
    else {
      c.once('exit', () => --left === 0 && process.exit(code));
      c.kill('SIGTERM');
    }
  }
  if (left === 0) process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const ports = {
  conversation: Number(process.env.CONVERSATION_STUB_PORT ?? 50052),
  message: Number(process.env.MESSAGE_API_PORT ?? 50051),
  relay: Number(process.env.RELAY_HTTP_PORT ?? 9464),
  messageHttp: Number(process.env.MESSAGE_API_HTTP_PORT ?? 9465),
  conversationHttp: Number(process.env.CONVERSATION_STUB_HTTP_PORT ?? 9466),
};
startApp('conversation-stub');
await waitPort(ports.conversation, 'conversation-stub');
startApp('message-api');
startApp('outbox-relay');
await waitPort(ports.message, 'message-api');
await waitPort(ports.relay, 'outbox-relay');
run(bin('tsx'), ['--tsconfig', 'tools/cli/tsconfig.json', 'tools/cli/src/seed.ts']);
say('ready:');
say(`  message-api        grpc://127.0.0.1:${ports.message}  (realchat.message.v1.MessageApi)`);
say(
  `  conversation-stub  grpc://127.0.0.1:${ports.conversation}  (realchat.conversation.v1.ConversationApi)`,
);
say(`  outbox-relay       http://127.0.0.1:${ports.relay}/metrics  /healthz  /readyz`);
say(`  message-api        http://127.0.0.1:${ports.messageHttp}/metrics  /healthz  /readyz`);
say(`  conversation-stub  http://127.0.0.1:${ports.conversationHttp}/metrics  /healthz  /readyz`);
say(`  Kafka topic        chat.messages.v1 on ${env.KAFKA_BROKERS}`);
say(
  'try: npm run chat -- send demo alice hello   |   npm run chat -- sync demo bob   |   npm run chat -- watch',
);
