import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, runAsServerUser, serverUser, waitFor } from '@realchat/infra';
import { Client } from 'pg';
import { registerCleanup } from './cleanup-registry';
import { postgresBinaries } from './pg-binaries';

const PASSWORD = 'postgres';
const SLOT = 'realchat_replica';

/**
 * A dedicated PostgreSQL primary and one streaming replica of it, in temp dirs on free ports,
 * from the embedded PostgreSQL 18 binaries (the shared server of the other tests is never
 * reconfigured). The embedded package ships no pg_basebackup, so the replica is built the way
 * pg_basebackup does it underneath: a physical slot that keeps the WAL, pg_backup_start, a copy
 * of the data directory, pg_backup_stop's backup_label, standby.signal and primary_conninfo.
 * Stopped (and its files removed) when the test or suite that started it ends.
 */
export class PgReplicaPair {
  private replicaRunning = true;
  private closed = false;

  private constructor(
    private readonly root: string,
    readonly primaryPort: number,
    readonly replicaPort: number,
    private readonly pgCtl: string,
  ) {}

  static async start(): Promise<PgReplicaPair> {
    const { initdb, pgCtl } = postgresBinaries();
    const user = serverUser();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rc-pgrep-'));
    const chown = (p: string) => {
      if (user.uid !== undefined) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, p]);
    };
    chown(root);
    const primaryPort = await freePorts(2);
    const pair = new PgReplicaPair(root, primaryPort, primaryPort + 1, pgCtl);
    registerCleanup({ what: `PostgreSQL primary + replica in ${root}`, close: () => pair.close() });

    const pwfile = path.join(root, 'pwfile');
    fs.writeFileSync(pwfile, `${PASSWORD}\n`);
    chown(pwfile);
    // initdb's pg_hba.conf already admits replication connections from 127.0.0.1.
    runAsServerUser(
      initdb,
      [
        '-D',
        pair.dir('primary'),
        '-U',
        'postgres',
        '--pwfile',
        pwfile,
        '-A',
        'scram-sha-256',
      ].concat(['-E', 'UTF8', '--no-locale']),
      user,
    );
    pair.startServer('primary', primaryPort, [
      '-c wal_level=replica',
      '-c max_wal_senders=4',
      '-c max_replication_slots=4',
      // Durability of a throw-away test server is not what is under test.
      '-c fsync=off',
    ]);
    await waitFor('the test primary', () => canConnect(pair.primaryUrl('postgres')), 30_000);

    const admin = new Client({ connectionString: pair.primaryUrl('postgres') });
    await admin.connect();
    try {
      // Reserve WAL from now on, so the replica can stream everything after the backup start.
      await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);
      await admin.query(`SELECT pg_backup_start('realchat-replica', true)`);
      copyDataDir(pair.dir('primary'), pair.dir('replica'));
      const { rows } = await admin.query<{ labelfile: string }>(
        'SELECT labelfile FROM pg_backup_stop(false)',
      );
      fs.writeFileSync(path.join(pair.dir('replica'), 'backup_label'), rows[0].labelfile);
    } finally {
      await admin.end();
    }
    fs.writeFileSync(path.join(pair.dir('replica'), 'standby.signal'), '');
    fs.appendFileSync(
      path.join(pair.dir('replica'), 'postgresql.auto.conf'),
      [
        `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres password=${PASSWORD} application_name=replica'`,
        `primary_slot_name = '${SLOT}'`,
        // Sync reads must not be cancelled by the replay of the primary's vacuum cleanups.
        'hot_standby_feedback = on',
        '',
      ].join('\n'),
    );
    chown(pair.dir('replica'));
    fs.chmodSync(pair.dir('replica'), 0o700);
    pair.startServer('replica', pair.replicaPort, []);
    await waitFor(
      'the replica to stream from the primary',
      async () => {
        const rows = await queryOnce<{ state: string }>(
          pair.primaryUrl('postgres'),
          `SELECT state FROM pg_stat_replication WHERE application_name = 'replica'`,
        );
        return rows[0]?.state === 'streaming';
      },
      30_000,
    );
    return pair;
  }

  /** URL of database `db` on the primary. */
  primaryUrl(db: string): string {
    return `postgresql://postgres:${PASSWORD}@127.0.0.1:${this.primaryPort}/${db}`;
  }

  /** URL of database `db` on the replica. */
  replicaUrl(db: string): string {
    return `postgresql://postgres:${PASSWORD}@127.0.0.1:${this.replicaPort}/${db}`;
  }

  /** Waits until the replica has replayed everything the primary has written so far. */
  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const [{ lsn }] = await queryOnce<{ lsn: string }>(
      this.primaryUrl('postgres'),
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    await waitFor(
      'the replica to catch up',
      async () => {
        const [r] = await queryOnce<{ done: boolean }>(
          this.replicaUrl('postgres'),
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [lsn],
        );
        return r.done;
      },
      timeoutMs,
    );
  }

  /** Pauses WAL replay: the replica keeps receiving but shows a frozen (lagging) snapshot. */
  async pauseReplay(): Promise<void> {
    await queryOnce(this.replicaUrl('postgres'), 'SELECT pg_wal_replay_pause()');
    await waitFor(
      'replay to pause',
      async () =>
        (
          await queryOnce<{ s: string }>(
            this.replicaUrl('postgres'),
            'SELECT pg_get_wal_replay_pause_state() AS s',
          )
        )[0].s === 'paused',
      30_000,
    );
  }

  async resumeReplay(): Promise<void> {
    await queryOnce(this.replicaUrl('postgres'), 'SELECT pg_wal_replay_resume()');
  }

  /** Stops the replica abruptly (as a crash would). */
  stopReplica(): void {
    if (!this.replicaRunning) return;
    runAsServerUser(
      this.pgCtl,
      ['stop', '-w', '-m', 'immediate', '-D', this.dir('replica')],
      serverUser(),
    );
    this.replicaRunning = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of ['replica', 'primary']) {
      if (!fs.existsSync(path.join(this.dir(name), 'postmaster.pid'))) continue;
      try {
        runAsServerUser(
          this.pgCtl,
          ['stop', '-w', '-m', 'immediate', '-D', this.dir(name)],
          serverUser(),
        );
      } catch {
        // Already gone: nothing to stop.
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private dir(name: string): string {
    return path.join(this.root, name);
  }

  private startServer(name: string, port: number, options: string[]): void {
    runAsServerUser(
      this.pgCtl,
      [
        'start',
        '-w',
        '-t',
        '60',
        '-D',
        this.dir(name),
        '-l',
        path.join(this.root, `${name}.log`),
        '-o',
        [`-p ${port}`, `-k ${this.root}`, '-c listen_addresses=127.0.0.1', ...options].join(' '),
      ],
      serverUser(),
    );
  }
}

/**
 * The data directory without what belongs to the running server (pid, options), its WAL (the
 * replica streams it through the slot) and its slots.
 */
function copyDataDir(from: string, to: string): void {
  const skip = new Set(['postmaster.pid', 'postmaster.opts']);
  const emptied = new Set(['pg_wal', 'pg_replslot']);
  fs.cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      if (skip.has(rel)) return false;
      const [top, ...rest] = rel.split(path.sep);
      return !(emptied.has(top) && rest.length > 0);
    },
  });
  fs.mkdirSync(path.join(to, 'pg_wal', 'archive_status'), { recursive: true });
}

async function canConnect(url: string): Promise<boolean> {
  try {
    await queryOnce(url, 'SELECT 1');
    return true;
  } catch {
    return false;
  }
}

async function queryOnce<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}
