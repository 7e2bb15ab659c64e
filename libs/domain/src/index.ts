export * from './errors';
export * from './ids';
export * from './limits';
export * from './conversation';
export * from './message';
export * from './deletion';
export * from './sync';
export * from './shard';
