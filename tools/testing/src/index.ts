/** Harness for end-to-end tests and benchmarks: the built apps as processes, clients, load. */
export * from './app-process';
export * from './chain-history';
export * from './chat-load';
export * from './cleanup-registry';
export * from './clients';
export * from './cuttable-proxy';
export * from './database';
export * from './dedicated-kafka';
export * from './kafka-events';
export * from './outbox-load';
export * from './recovery';
export * from './relay-metrics';
export * from './stack';
export * from './status';
export * from './test-topic';
