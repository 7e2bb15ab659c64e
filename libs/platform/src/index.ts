export * from './logger';
export * from './config';
export * from './lifecycle';
export * from './grpc-status';
export * from './grpc-unary';
export * from './grpc-server';
export * from './grpc-malformed';
