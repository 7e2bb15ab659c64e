import {
  sendUnaryData,
  ServerUnaryCall,
  ServiceDefinition,
  status,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './metrics';

/** The gRPC server series (labels: method = RPC name, code = gRPC status name). */
export class GrpcServerMetrics {
  readonly handled: Counter<'method' | 'code'>;
  readonly handling: Histogram<'method'>;
  readonly inFlight: Gauge<'method'>;

  constructor(registry: Registry) {
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Calls answered, by method and gRPC status code',
      labelNames: ['method', 'code'] as const,
      registers: [registry],
    });
    this.handling = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time from a call arriving to its answer, by method',
      labelNames: ['method'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'grpc_server_in_flight',
      help: 'Calls being handled now, by method',
      labelNames: ['method'] as const,
      registers: [registry],
    });
  }

  /**
   * `implementation` with every unary handler measured: the one place the server series are
   * recorded, whatever the handler does (health and reflection are not wrapped).
   */
  instrument(
    service: ServiceDefinition,
    implementation: UntypedServiceImplementation,
  ): UntypedServiceImplementation {
    const out: UntypedServiceImplementation = {};
    for (const [key, handler] of Object.entries(implementation)) {
      const definition = service[key];
      if (!definition || definition.requestStream || definition.responseStream) {
        out[key] = handler;
        continue;
      }
      const method = definition.path.split('/').pop() ?? key;
      const unary = handler as (
        c: ServerUnaryCall<unknown, unknown>,
        cb: sendUnaryData<unknown>,
      ) => void;
      out[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        this.inFlight.inc({ method });
        const stop = this.handling.startTimer({ method });
        unary(call, (err, ...rest) => {
          stop();
          this.inFlight.dec({ method });
          const code = err ? (status[err.code ?? status.UNKNOWN] ?? 'UNKNOWN') : 'OK';
          this.handled.inc({ method, code });
          callback(err, ...rest);
        });
      };
    }
    return out;
  }
}
