import type { ServiceDefinition } from '@grpc/grpc-js';
import { DomainError } from '@realchat/domain';

const MALFORMED = Symbol('malformed request');

interface Malformed {
  [MALFORMED]: string;
}

/**
 * grpc-js answers INTERNAL when a request cannot be decoded (bad protobuf bytes, an int64 beyond
 * 2^53). A malformed request is the client's fault, so every method's deserializer is wrapped:
 * a decode failure becomes a marker that `unary` turns into INVALID_ARGUMENT.
 */
export function withMalformedRequestsRejected(definition: ServiceDefinition): ServiceDefinition {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (e) {
          return { [MALFORMED]: e instanceof Error ? e.message : String(e) } satisfies Malformed;
        }
      },
    };
  }
  return wrapped as ServiceDefinition;
}

/** Throws INVALID_ARGUMENT if the request could not be decoded. */
export function rejectIfMalformed(request: unknown): void {
  if (request && typeof request === 'object' && MALFORMED in request) {
    const reason = (request as Malformed)[MALFORMED];
    throw DomainError.invalid([{ field: 'request', description: `cannot be decoded: ${reason}` }]);
  }
}
