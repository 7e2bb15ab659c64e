/**
 * @realchat/persistence: what every app shares (the pool, database errors, migrations).
 * Each app imports the adapters it owns from a sub-path, enforced by lint:
 *   /messages (message-api), /outbox (message-api writes, outbox-relay reads), /leases
 *   (outbox-relay), /conversations (conversation-stub), /testing (tests and tools only).
 */
export * from './database';
export * from './read-replicas';
export * from './migrate';
export * from './db-errors';
