import path from 'node:path';
import {
  ClientReadableStream,
  credentials,
  loadPackageDefinition,
  makeClientConstructor,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';

/** A grpc.health.v1.Health client (as a load balancer or grpcurl would use it). */
export class HealthClient {
  private readonly client: {
    check(
      req: { service: string },
      md: Metadata,
      opts: { deadline: Date },
      cb: (e: ServiceError | null, res?: { status: string }) => void,
    ): void;
    watch(req: { service: string }): ClientReadableStream<{ status: string }>;
    close(): void;
  };

  constructor(address: string) {
    const Ctor = makeClientConstructor(
      healthService as unknown as Parameters<typeof makeClientConstructor>[0],
      'grpc.health.v1.Health',
    );
    this.client = new Ctor(address, credentials.createInsecure()) as never;
  }

  /** The status of `service` ('SERVING', 'NOT_SERVING'...); rejects with the gRPC error. */
  check(service: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) =>
      this.client.check(
        { service },
        new Metadata(),
        { deadline: new Date(Date.now() + timeoutMs) },
        (e, res) => (e ? reject(e) : resolve(res!.status)),
      ),
    );
  }

  /** Opens a Watch stream; `statuses` fills as the server sends them, `ended` when it closes. */
  watch(service: string): { statuses: string[]; ended: Promise<void>; cancel(): void } {
    const stream = this.client.watch({ service });
    const statuses: string[] = [];
    stream.on('data', (m: { status: string }) => statuses.push(m.status));
    const ended = new Promise<void>((resolve) => {
      stream.on('end', () => resolve());
      stream.on('error', () => resolve());
    });
    return { statuses, ended, cancel: () => stream.cancel() };
  }

  close(): void {
    this.client.close();
  }
}

const REFLECTION_PROTO = path.join(
  path.dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

/**
 * The services a server lists through gRPC server reflection (grpc.reflection.v1, as
 * `grpcurl list` asks): one ServerReflectionInfo stream with a list_services request.
 */
export function reflectedServices(address: string, timeoutMs = 5000): Promise<string[]> {
  const pkg = loadPackageDefinition(loadSync(REFLECTION_PROTO, { keepCase: true })) as never as {
    grpc: { reflection: { v1: { ServerReflection: new (...a: unknown[]) => never } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(
    address,
    credentials.createInsecure(),
  ) as {
    ServerReflectionInfo(opts: { deadline: Date }): {
      write(m: unknown): void;
      end(): void;
      on(e: string, f: (x: never) => void): void;
    };
    close(): void;
  };
  return new Promise<string[]>((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: new Date(Date.now() + timeoutMs) });
    call.on('data', (res: { list_services_response?: { service: { name: string }[] } }) => {
      resolve((res.list_services_response?.service ?? []).map((s) => s.name));
      call.end();
    });
    call.on('error', (e: Error) => reject(e));
    call.write({ host: '', list_services: '*' });
  }).finally(() => client.close());
}
