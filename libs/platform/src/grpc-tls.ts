import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import {
  ChannelCredentials,
  type ChannelOptions,
  credentials as channelCredentials,
  experimental,
  ServerCredentials,
  type ServerInterceptor,
  ServerInterceptingCall,
  status,
} from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { ConfigOf, int, str } from './config';

/**
 * TLS of a gRPC server (both gRPC apps spread it into their config specs). Unset certificate and
 * key: plaintext, as for local development. A client CA: mutual TLS, every client must present a
 * certificate signed by it. See docs/tls.md.
 */
export const grpcTlsConfigSpec = {
  GRPC_TLS_CERT_FILE: str('PEM certificate chain of the gRPC server; set with the key: TLS', ''),
  GRPC_TLS_KEY_FILE: str('PEM private key of GRPC_TLS_CERT_FILE', ''),
  GRPC_TLS_CLIENT_CA_FILE: str(
    'PEM CA bundle; set: mutual TLS, clients must present a certificate it signed',
    '',
  ),
  GRPC_TLS_ALLOWED_CLIENT_NAMES: str(
    'comma list of client certificate names (CN or SAN) allowed in; empty: any the CA signed',
    '',
  ),
  GRPC_TLS_RELOAD_INTERVAL_MS: int(
    'how often the certificate, key and CA files are re-read (rotation without restart)',
    60_000,
    100,
    86_400_000,
  ),
};

export type GrpcTlsConfig = ConfigOf<typeof grpcTlsConfigSpec>;

/** What a TLS gRPC server needs; null from serverTlsOf means plaintext. */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** Set: mutual TLS. */
  readonly clientCaFile?: string;
  /** Non-empty: only client certificates with one of these names (CN or SAN) get in. */
  readonly allowedClientNames: readonly string[];
  readonly reloadIntervalMs: number;
}

/** True when the server requires client certificates (the auth mode's warning relies on it). */
export function isMutualTls(config: Pick<GrpcTlsConfig, 'GRPC_TLS_CLIENT_CA_FILE'>): boolean {
  return config.GRPC_TLS_CLIENT_CA_FILE !== '';
}

/** 'plaintext', 'tls' or 'mtls', for the start-up log line. */
export function grpcTransportOf(config: GrpcTlsConfig): 'plaintext' | 'tls' | 'mtls' {
  if (config.GRPC_TLS_CERT_FILE === '') return 'plaintext';
  return isMutualTls(config) ? 'mtls' : 'tls';
}

const splitNames = (s: string) =>
  s
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);

/**
 * Combinations of the GRPC_TLS_* variables that cannot work, and files that cannot be read or
 * parsed, each naming its variable: checked once at start-up, because a server whose first
 * certificate load fails would silently drop every connection.
 */
export function grpcTlsProblems(config: GrpcTlsConfig): string[] {
  const problems: string[] = [];
  const cert = config.GRPC_TLS_CERT_FILE;
  const key = config.GRPC_TLS_KEY_FILE;
  if ((cert === '') !== (key === '')) {
    problems.push(
      `${cert === '' ? 'GRPC_TLS_CERT_FILE' : 'GRPC_TLS_KEY_FILE'} is required when ${cert === '' ? 'GRPC_TLS_KEY_FILE' : 'GRPC_TLS_CERT_FILE'} is set`,
    );
  }
  if (cert === '' && key === '' && config.GRPC_TLS_CLIENT_CA_FILE !== '') {
    problems.push('GRPC_TLS_CLIENT_CA_FILE needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE (TLS)');
  }
  if (config.GRPC_TLS_ALLOWED_CLIENT_NAMES !== '' && config.GRPC_TLS_CLIENT_CA_FILE === '') {
    problems.push(
      'GRPC_TLS_ALLOWED_CLIENT_NAMES needs GRPC_TLS_CLIENT_CA_FILE (names come from client certificates)',
    );
  }
  problems.push(
    ...pemProblems('GRPC_TLS_CERT_FILE', cert, 'certificate'),
    ...pemProblems('GRPC_TLS_KEY_FILE', key, 'key'),
    ...pemProblems('GRPC_TLS_CLIENT_CA_FILE', config.GRPC_TLS_CLIENT_CA_FILE, 'certificate'),
  );
  return problems;
}

/** The server's TLS settings, or null for plaintext (call grpcTlsProblems first). */
export function serverTlsOf(config: GrpcTlsConfig): ServerTls | null {
  if (config.GRPC_TLS_CERT_FILE === '') return null;
  return {
    certFile: config.GRPC_TLS_CERT_FILE,
    keyFile: config.GRPC_TLS_KEY_FILE,
    clientCaFile: config.GRPC_TLS_CLIENT_CA_FILE || undefined,
    allowedClientNames: splitNames(config.GRPC_TLS_ALLOWED_CLIENT_NAMES),
    reloadIntervalMs: config.GRPC_TLS_RELOAD_INTERVAL_MS,
  };
}

/**
 * Server credentials that re-read the files every reloadIntervalMs (grpc-js' file-watcher
 * certificate provider): connections made after a rotation get the new certificate and CA,
 * established ones keep theirs. With an allow-list, calls from other client names are refused
 * with PERMISSION_DENIED (the certificate is valid, the caller is not allowed).
 *
 * Resolves once the files were read, because until then the server would drop connections.
 */
export async function grpcServerCredentials(tls: ServerTls | null): Promise<ServerCredentials> {
  if (!tls) return ServerCredentials.createInsecure();
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    caCertificateFile: tls.clientCaFile,
    refreshIntervalMs: tls.reloadIntervalMs,
  });
  await firstLoad(provider, tls.clientCaFile !== undefined);
  // grpc-js 1.14 names the parameters the other way round from what it does with them: the
  // first provider gives the server's identity, the second the client CA (null: no mTLS).
  // Passing the one provider as both sidesteps the mix-up.
  const creds = experimental.createCertificateProviderServerCredentials(
    provider,
    tls.clientCaFile ? provider : null,
    tls.clientCaFile !== undefined,
  );
  return tls.allowedClientNames.length > 0
    ? experimental.createServerCredentialsWithInterceptors(creds, [
        allowListInterceptor(new Set(tls.allowedClientNames)),
      ])
    : creds;
}

/** Waits for the provider's first read (and stops watching until the server subscribes). */
function firstLoad(provider: experimental.CertificateProvider, withCa: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let identity = false;
    let ca = !withCa;
    const done = () => {
      if (!identity || !ca) return;
      provider.removeIdentityCertificateListener(onIdentity);
      provider.removeCaCertificateListener(onCa);
      resolve();
    };
    const onIdentity = (u: experimental.IdentityCertificateUpdate | null) => {
      if (!u) return reject(new Error('could not read the TLS certificate or key'));
      identity = true;
      done();
    };
    const onCa = (u: experimental.CaCertificateUpdate | null) => {
      if (!u) return reject(new Error('could not read the client CA file'));
      ca = true;
      done();
    };
    provider.addIdentityCertificateListener(onIdentity);
    if (withCa) provider.addCaCertificateListener(onCa);
  });
}

/** CN and every SAN (DNS, URI, IP, email) of a client certificate. */
export function namesOfCertificate(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const cn = cert.subject?.CN;
  const names = Array.isArray(cn) ? cn : cn ? [cn] : [];
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const at = entry.indexOf(':');
    if (at > 0) names.push(entry.slice(at + 1).trim());
  }
  return names;
}

/** Refuses, before the handler runs, calls whose client certificate carries no allowed name. */
function allowListInterceptor(allowed: ReadonlySet<string>): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const names = namesOfCertificate(call.getAuthContext().sslPeerCertificate);
            if (names.some((n) => allowed.has(n))) return forward(metadata);
            call.sendStatus({
              code: status.PERMISSION_DENIED,
              details:
                'client certificate is not on the allow-list (GRPC_TLS_ALLOWED_CLIENT_NAMES)',
            });
          },
        }),
    });
}

/** What a gRPC client needs for TLS to a server; null from the caller means plaintext. */
export interface ClientTls {
  /** PEM CA bundle the server certificate must chain to; unset: the system's roots. */
  readonly caFile?: string;
  /** Client certificate and key, for a server that requires mTLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Name the server certificate must carry when it differs from the address' host. */
  readonly serverName?: string;
  readonly reloadIntervalMs: number;
}

/**
 * Channel credentials and options for a client. With a CA file, the CA and the client
 * certificate are re-read every reloadIntervalMs (new connections use the new files); with the
 * system's roots, the client certificate is read once.
 */
export function grpcChannelCredentials(tls: ClientTls | null): {
  credentials: ChannelCredentials;
  options: ChannelOptions;
} {
  if (!tls) return { credentials: channelCredentials.createInsecure(), options: {} };
  const options: ChannelOptions = tls.serverName
    ? { 'grpc.ssl_target_name_override': tls.serverName }
    : {};
  const identity =
    tls.certFile && tls.keyFile
      ? { certificateFile: tls.certFile, privateKeyFile: tls.keyFile }
      : null;
  if (!tls.caFile) {
    return {
      credentials: channelCredentials.createSsl(
        null,
        identity ? fs.readFileSync(identity.privateKeyFile) : null,
        identity ? fs.readFileSync(identity.certificateFile) : null,
      ),
      options,
    };
  }
  const ca = new experimental.FileWatcherCertificateProvider({
    caCertificateFile: tls.caFile,
    refreshIntervalMs: tls.reloadIntervalMs,
  });
  const id = identity
    ? new experimental.FileWatcherCertificateProvider({
        ...identity,
        refreshIntervalMs: tls.reloadIntervalMs,
      })
    : null;
  return { credentials: experimental.createCertificateProviderChannelCredentials(ca, id), options };
}

/**
 * Problems of a client's TLS variables (names given by the caller, e.g. CONVERSATION_API_TLS_*):
 * files set while TLS is off, a certificate without its key, unreadable files.
 */
export function clientTlsProblems(
  enabled: { name: string; value: boolean },
  files: { ca: [string, string]; cert: [string, string]; key: [string, string] },
): string[] {
  const problems: string[] = [];
  const [caName, ca] = files.ca;
  const [certName, cert] = files.cert;
  const [keyName, key] = files.key;
  if (!enabled.value) {
    for (const [name, value] of [files.ca, files.cert, files.key]) {
      if (value !== '') problems.push(`${name} is set but ${enabled.name} is false`);
    }
    return problems;
  }
  if ((cert === '') !== (key === '')) {
    problems.push(`${certName} and ${keyName} must be set together`);
  }
  problems.push(
    ...pemProblems(caName, ca, 'certificate'),
    ...pemProblems(certName, cert, 'certificate'),
    ...pemProblems(keyName, key, 'key'),
  );
  return problems;
}

/** Empty when `file` is unset or holds a PEM of the expected kind; else one problem. */
function pemProblems(name: string, file: string, kind: 'certificate' | 'key'): string[] {
  if (file === '') return [];
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (e) {
    return [`${name}=${JSON.stringify(file)}: cannot read (${(e as NodeJS.ErrnoException).code})`];
  }
  try {
    if (kind === 'key') createPrivateKey(pem);
    else new X509Certificate(pem);
    return [];
  } catch {
    return [`${name}=${JSON.stringify(file)}: not a PEM ${kind}`];
  }
}
