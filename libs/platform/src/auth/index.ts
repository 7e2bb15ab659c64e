export * from './authenticator';
export * from './trusted-header-authenticator';
export * from './jwt-authenticator';
export * from './jwks-file';
export * from './auth-config';
