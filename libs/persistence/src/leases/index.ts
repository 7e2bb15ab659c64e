/** Shard leases of the relay replicas (outbox-relay). */
export * from './shard-leases';
