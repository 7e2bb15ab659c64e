import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { registerCleanup } from './cleanup-registry';

/** PEM files of one certificate and its key. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * Certificates made at test time with the openssl CLI, so that no private key is ever committed.
 * One folder per instance, removed when the test (or suite) that made it ends.
 */
export class TestCertificates {
  private constructor(readonly dir: string) {}

  static create(prefix = 'tls'): TestCertificates {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `realchat-${prefix}-`));
    registerCleanup({
      what: `certificates ${dir}`,
      close: async () => fs.rmSync(dir, { recursive: true, force: true }),
    });
    return new TestCertificates(dir);
  }

  /** A self-signed CA named `name` (files <name>.crt, <name>.key). */
  ca(name: string): CertFiles {
    const files = this.files(name);
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      files.key,
      '-out',
      files.cert,
    ]);
    return files;
  }

  /** A server certificate for 127.0.0.1 and localhost (plus `dnsNames`), signed by `ca`. */
  server(name: string, ca: CertFiles, dnsNames: string[] = []): CertFiles {
    const san = ['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((d) => `DNS:${d}`)].join(',');
    return this.leaf(name, ca, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  }

  /** A client certificate with CN `cn` (and the same name as a DNS SAN), signed by `ca`. */
  client(cn: string, ca: CertFiles): CertFiles {
    return this.leaf(cn, ca, `subjectAltName=DNS:${cn}\nextendedKeyUsage=clientAuth\n`);
  }

  /** Concatenation of CA certificates, e.g. old and new CA while the CA is rotated. */
  bundle(name: string, ...cas: CertFiles[]): string {
    const file = path.join(this.dir, `${name}.crt`);
    fs.writeFileSync(file, cas.map((c) => fs.readFileSync(c.cert, 'utf8')).join(''));
    return file;
  }

  private leaf(name: string, ca: CertFiles, extensions: string): CertFiles {
    const files = this.files(name);
    const csr = path.join(this.dir, `${name}.csr`);
    const ext = path.join(this.dir, `${name}.ext`);
    fs.writeFileSync(ext, extensions);
    openssl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      files.key,
      '-out',
      csr,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      files.cert,
    ]);
    return files;
  }

  private files(name: string): CertFiles {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`certificate name ${name} is not a file name`);
    return { cert: path.join(this.dir, `${name}.crt`), key: path.join(this.dir, `${name}.key`) };
  }
}

/** Replaces `target`'s files with `source`'s by rename, as a mounted secret changes at once. */
export function replaceCertFiles(target: CertFiles, source: CertFiles): void {
  for (const [from, to] of [
    [source.cert, target.cert],
    [source.key, target.key],
  ] as const) {
    const tmp = `${to}.${process.pid}.tmp`;
    fs.copyFileSync(from, tmp);
    fs.renameSync(tmp, to);
  }
}

/** SHA-256 fingerprint of a PEM certificate file, as Node's tls reports `fingerprint256`. */
export function fingerprint256(certFile: string): string {
  return openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'])
    .trim()
    .split('=')[1];
}

/**
 * The SHA-256 fingerprint of the certificate a TLS server presents to a new connection (ALPN h2,
 * as a gRPC client connects), verified against `caFile`.
 */
export function presentedFingerprint(
  port: number,
  caFile: string,
  client?: CertFiles,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: fs.readFileSync(caFile),
      ALPNProtocols: ['h2'],
      ...(client ? { cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) } : {}),
    });
    socket.once('secureConnect', () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
