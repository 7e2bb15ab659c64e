/** Harness for end-to-end tests and benchmarks: the built apps as processes, clients, load. */
export * from './app-process';
export * from './clients';
export * from './database';
export * from './kafka-events';
export * from './outbox-load';
export * from './stack';
export * from './status';
export * from './cuttable-proxy';
