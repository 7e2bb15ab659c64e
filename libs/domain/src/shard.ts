/**
 * Stable 32-bit FNV-1a hash of a conversation id. The outbox stores it with each event so that
 * relays can split conversations into shards (`hash % shardCount`) without re-hashing in SQL.
 */
export function conversationHash(conversationId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    h ^= conversationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Non-negative int4, so that SQL `key_hash % n` is never negative.
  return (h >>> 0) & 0x7fffffff;
}

/** The shard of a conversation hash among `shardCount` shards. */
export function shardOf(hash: number, shardCount: number): number {
  return hash % shardCount;
}
