import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppProcess, freshDatabase, grpcHealthCheck, testTopic } from '@realchat/testing';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS = ['message-api', 'outbox-relay', 'conversation-stub'];
/**
 * The runtime stage's NODE_OPTIONS (the Dockerfile's ENV): the apps start here with the image's
 * V8 flags, so a flag that Node refuses in NODE_OPTIONS stops the start as it would in the image.
 */
const IMAGE_NODE_OPTIONS =
  /^ENV .*NODE_OPTIONS="([^"]*)"/m.exec(
    fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'),
  )?.[1] ?? '';

/**
 * The runtime stage of the Dockerfile, rehearsed without Docker: per app, a folder holding
 * exactly what the image holds (the build's package.json and pruned package-lock.json,
 * `npm ci --omit=dev --ignore-scripts`, then main.js) and `node main.js` started there, away
 * from the repository, against real PostgreSQL and Kafka. A runtime package missing from the
 * app's package.json, or a bundle that reads a file the image does not hold, fails here.
 * The three installs run side by side (~10 s each: only the app's own packages).
 */
describe('image runtime stage (bundle + npm ci --omit=dev, outside the repository)', () => {
  let work: string;
  let databaseUrl: string;
  const folder = (app: string) => path.join(work, app);

  /** The Dockerfile's runtime stage: package files, npm ci, then the bundle. */
  async function imageFolder(app: string): Promise<void> {
    const dist = path.join(ROOT, 'dist', 'apps', app);
    fs.mkdirSync(folder(app));
    for (const f of ['package.json', 'package-lock.json'])
      fs.copyFileSync(path.join(dist, f), path.join(folder(app), f));
    await promisify(execFile)(
      'npm',
      ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: folder(app),
        env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), NODE_ENV: 'production' },
        timeout: 240_000,
      },
    );
    for (const f of ['main.js', 'main.js.map'])
      fs.copyFileSync(path.join(dist, f), path.join(folder(app), f));
  }

  /**
   * True when the app serves grpc.health.v1 (the ops-health change): its bundle names the
   * service, or it depends on the grpc-health-check package. Then readiness must be SERVING.
   */
  const bundleHasHealth = (app: string) => {
    const dist = path.join(ROOT, 'dist', 'apps', app);
    const deps = (
      JSON.parse(fs.readFileSync(path.join(dist, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies;
    return (
      'grpc-health-check' in deps ||
      fs.readFileSync(path.join(dist, 'main.js'), 'utf8').includes('grpc.health.v1')
    );
  };

  /**
   * Runs docker-compose.yml's healthcheck of `service` (a `node -e` command) as Docker would run
   * it in the container: in the image folder, with the app's port variable; resolves the exit
   * code and stderr (empty unless the command itself broke, e.g. a package it cannot load).
   */
  async function composeHealthcheck(
    service: string,
    env: Record<string, string>,
  ): Promise<{ code: number; stderr: string }> {
    const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { healthcheck: { test: string[] } }>;
    };
    const [kind, command, ...args] = compose.services[service].healthcheck.test;
    expect([kind, command]).toEqual(['CMD', 'node']);
    try {
      await promisify(execFile)(process.execPath, args, {
        cwd: folder(service),
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 10_000,
      });
      return { code: 0, stderr: '' };
    } catch (e) {
      const { code, stderr } = e as { code?: number; stderr?: string };
      return { code: code ?? -1, stderr: stderr ?? '' };
    }
  }

  beforeAll(async () => {
    // Under the OS temp folder: no node_modules in any parent folder.
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'realchat-image-'));
    await Promise.all(APPS.map(imageFolder));
    databaseUrl = await freshDatabase('e2e_image');
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it.each(APPS)(
    '%s: the image holds its own packages at the versions package-lock.json pins, no dev tools',
    (app) => {
      const nameAtVersion = (lock: string) =>
        Object.entries(
          (
            JSON.parse(fs.readFileSync(lock, 'utf8')) as {
              packages: Record<string, { version: string }>;
            }
          ).packages,
        )
          .filter(([p]) => p)
          .map(([p, v]) => `${p.split('node_modules/').pop()}@${v.version}`);
      const pinned = new Set(nameAtVersion(path.join(ROOT, 'package-lock.json')));
      const installed = nameAtVersion(path.join(folder(app), 'node_modules', '.package-lock.json'));
      expect(installed.filter((nv) => !pinned.has(nv))).toEqual([]);
      const deps = Object.keys(
        (
          JSON.parse(fs.readFileSync(path.join(folder(app), 'package.json'), 'utf8')) as {
            dependencies: Record<string, string>;
          }
        ).dependencies,
      );
      const names = installed.map((nv) => nv.slice(0, nv.lastIndexOf('@')));
      expect(names).toEqual(expect.arrayContaining(deps));
      // The workspace's tools (and the optional peers npm would add for @prisma/client).
      for (const tool of ['prisma', 'typescript', 'jest', 'nx', 'esbuild'])
        expect(names).not.toContain(tool);
    },
  );

  it('outbox-relay starts from its image folder and answers /healthz and /readyz', async () => {
    const relay = await AppProcess.start(
      'outbox-relay',
      {
        NODE_ENV: 'production',
        NODE_OPTIONS: IMAGE_NODE_OPTIONS,
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
        KAFKA_TOPIC: testTopic('image'),
        RELAY_HTTP_PORT: '0',
        RELAY_HTTP_HOST: '127.0.0.1',
      },
      'outbox-relay running',
      60_000,
      folder('outbox-relay'),
    );
    const base = `http://127.0.0.1:${relay.port('http')}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Ready once Kafka is connected and a lease round succeeded: poll with a deadline.
    const deadline = Date.now() + 30_000;
    let last = 0;
    while (Date.now() < deadline && (last = (await fetch(`${base}/readyz`)).status) !== 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(last).toBe(200);
    expect(
      await composeHealthcheck('outbox-relay', { RELAY_HTTP_PORT: String(relay.port('http')) }),
    ).toEqual({ code: 0, stderr: '' });
    expect(await relay.stop()).toBe(0);
  });

  it('conversation-stub and message-api start from their image folders and answer gRPC health', async () => {
    const stub = await AppProcess.start(
      'conversation-stub',
      {
        NODE_ENV: 'production',
        NODE_OPTIONS: IMAGE_NODE_OPTIONS,
        DATABASE_URL: databaseUrl,
        CONVERSATION_STUB_PORT: '0',
        CONVERSATION_STUB_HOST: '127.0.0.1',
        CONVERSATION_STUB_HTTP_PORT: '0',
      },
      'conversation-stub serving realchat.conversation.v1.ConversationApi',
      60_000,
      folder('conversation-stub'),
    );
    const api = await AppProcess.start(
      'message-api',
      {
        NODE_ENV: 'production',
        NODE_OPTIONS: IMAGE_NODE_OPTIONS,
        DATABASE_URL: databaseUrl,
        MESSAGE_API_PORT: '0',
        MESSAGE_API_HOST: '127.0.0.1',
        MESSAGE_API_HTTP_PORT: '0',
        CONVERSATION_API_ADDR: `127.0.0.1:${stub.port()}`,
      },
      'message-api serving realchat.message.v1.MessageApi',
      60_000,
      folder('message-api'),
    );
    const checks: [AppProcess, string][] = [
      [stub, 'realchat.conversation.v1.ConversationApi'],
      [api, 'realchat.message.v1.MessageApi'],
    ];
    for (const [proc, service] of checks) {
      // The answer travels through the image's own @grpc/grpc-js. Before the health service
      // exists (the bundle has no grpc.health.v1), an UNIMPLEMENTED answer still proves that the
      // server runs and speaks gRPC; once it exists, readiness must be SERVING (polled: the first
      // dependency check may still be running).
      const address = `127.0.0.1:${proc.port()}`;
      if (bundleHasHealth(proc.app)) {
        const deadline = Date.now() + 30_000;
        let answer = await grpcHealthCheck(address, service);
        while (Date.now() < deadline && !(answer.ok && answer.status === 'SERVING')) {
          await new Promise((r) => setTimeout(r, 200));
          answer = await grpcHealthCheck(address, service);
        }
        expect({ app: proc.app, answer }).toEqual({
          app: proc.app,
          answer: { ok: true, status: 'SERVING' },
        });
        expect(await grpcHealthCheck(address, 'liveness')).toEqual({ ok: true, status: 'SERVING' });
      } else {
        expect(await grpcHealthCheck(address, service)).toMatchObject({ ok: false, code: 12 });
      }
    }
    // docker-compose.yml's healthchecks (depends_on: service_healthy) pass only when SERVING.
    for (const [proc, portVariable] of [
      [stub, 'CONVERSATION_STUB_PORT'],
      [api, 'MESSAGE_API_PORT'],
    ] as const) {
      const result = await composeHealthcheck(proc.app, { [portVariable]: String(proc.port()) });
      expect({ app: proc.app, ...result }).toEqual({
        app: proc.app,
        code: bundleHasHealth(proc.app) ? 0 : 1,
        stderr: '',
      });
    }
    expect(await api.stop()).toBe(0);
    expect(await stub.stop()).toBe(0);
  });
});
