/** Shard leases of the relay replicas (outbox-relay), and the SQL of the shard rule. */
export * from './shard-leases';
export * from './shard-sql';
