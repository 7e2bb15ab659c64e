/**
 * How the outbox is split between relay replicas. This file owns the rule; everything else
 * follows it:
 *
 * - message-api stores `conversationHash(conversation_id)` in `outbox.key_hash` with each event;
 * - a row's shard is `key_hash % shardCount` (`shardOf`). SQL uses the same expression, built in
 *   one place (`shardOfSql` in libs/persistence/src/leases/shard-sql.ts); a persistence test
 *   checks that PostgreSQL and `shardOf` agree for many hashes and shard counts.
 *
 * The hash is a non-negative int4, so `%` has the same result in TypeScript and in PostgreSQL
 * (both truncate, and neither operand is ever negative).
 */

/**
 * Stable 32-bit FNV-1a hash of a conversation id, made a non-negative int4 (so that it fits the
 * `key_hash` column and `key_hash % n` is never negative).
 */
export function conversationHash(conversationId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    h ^= conversationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

/** The shard of a conversation hash among `shardCount` shards (SQL: `shardOfSql`). */
export function shardOf(hash: number, shardCount: number): number {
  return hash % shardCount;
}
