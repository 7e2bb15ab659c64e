export * from './infra';
export * from './kafka';
export * from './kafka-cluster';
export * from './postgres';
export * from './wait';
export { REPO_ROOT, CACHE_DIR } from './paths';
export * from './ports';
