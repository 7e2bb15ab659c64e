import type { ServiceDefinition } from '@grpc/grpc-js';

/** A one-method service of raw bytes, so that this lib's tests need no generated code. */
export const echo: ServiceDefinition = {
  echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};
