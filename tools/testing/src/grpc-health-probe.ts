import { credentials, Client, Metadata, status as Status } from '@grpc/grpc-js';

/** grpc.health.v1.HealthCheckResponse.ServingStatus, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export type HealthAnswer =
  | { readonly ok: true; readonly status: (typeof SERVING_STATUS)[number] }
  | { readonly ok: false; readonly code: Status; readonly details: string };

/**
 * One grpc.health.v1.Health/Check call, encoded by hand (HealthCheckRequest is one string field,
 * the response one enum), so that the tests need no generated code for the health protocol.
 */
export function grpcHealthCheck(address: string, service: string): Promise<HealthAnswer> {
  const client = new Client(address, credentials.createInsecure());
  const name = Buffer.from(service, 'utf8');
  // field 1 (service), wire type 2: tag 0x0a, then the length as a varint (names are < 128 bytes)
  const request = service
    ? Buffer.concat([Buffer.from([0x0a, name.length]), name])
    : Buffer.alloc(0);
  return new Promise<HealthAnswer>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (b: Buffer) => b,
      // field 1 (status), varint: 0x08 then the value; an absent field is 0 (UNKNOWN)
      (b: Buffer) => (b.length >= 2 && b[0] === 0x08 ? b[1] : 0),
      request,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (err, value) => {
        client.close();
        if (err) resolve({ ok: false, code: err.code, details: err.details });
        else resolve({ ok: true, status: SERVING_STATUS[value as number] ?? 'UNKNOWN' });
      },
    );
  });
}
