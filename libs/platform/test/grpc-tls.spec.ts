import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { grpcTlsConfigSpec, grpcTlsProblems, loadConfig, namesOfCertificate } from '../src';
import type { PeerCertificate } from 'node:tls';

const tlsConfig = (env: Record<string, string>) => loadConfig(grpcTlsConfigSpec, env);

describe('grpcTlsProblems', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-tls-spec-'));
  const notPem = path.join(dir, 'not.pem');
  fs.writeFileSync(notPem, 'hello');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts plaintext, the default', () => {
    expect(grpcTlsProblems(tlsConfig({}))).toEqual([]);
  });

  it.each([
    ['a certificate without key', { GRPC_TLS_CERT_FILE: notPem }, /^GRPC_TLS_KEY_FILE is required/],
    ['a key without certificate', { GRPC_TLS_KEY_FILE: notPem }, /^GRPC_TLS_CERT_FILE is required/],
    [
      'a client CA without TLS',
      { GRPC_TLS_CLIENT_CA_FILE: notPem },
      /^GRPC_TLS_CLIENT_CA_FILE needs GRPC_TLS_CERT_FILE/,
    ],
    [
      'an allow-list without client CA',
      { GRPC_TLS_ALLOWED_CLIENT_NAMES: 'gw' },
      /^GRPC_TLS_ALLOWED_CLIENT_NAMES needs/,
    ],
    [
      'a file that is not PEM',
      { GRPC_TLS_CERT_FILE: notPem, GRPC_TLS_KEY_FILE: notPem },
      /^GRPC_TLS_CERT_FILE=".*": not a PEM certificate/,
    ],
    [
      'a missing file',
      { GRPC_TLS_CERT_FILE: path.join(dir, 'missing'), GRPC_TLS_KEY_FILE: notPem },
      /^GRPC_TLS_CERT_FILE=".*": cannot read \(ENOENT\)/,
    ],
  ])('%s is refused, naming the variable', (_what, env, problem) => {
    expect(grpcTlsProblems(tlsConfig(env))).toEqual(
      expect.arrayContaining([expect.stringMatching(problem)]),
    );
  });
});

describe('namesOfCertificate', () => {
  it('gives the CN and every SAN of a client certificate', () => {
    const cert = {
      subject: { CN: 'gateway' },
      subjectaltname: 'DNS:gateway.internal, URI:spiffe://realchat/gateway, IP Address:10.0.0.7',
    } as unknown as PeerCertificate;
    expect(namesOfCertificate(cert)).toEqual([
      'gateway',
      'gateway.internal',
      'spiffe://realchat/gateway',
      '10.0.0.7',
    ]);
    expect(namesOfCertificate(undefined)).toEqual([]);
  });
});
