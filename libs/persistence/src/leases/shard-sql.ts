/**
 * The SQL form of the domain's `shardOf(hash, shardCount)` (libs/domain/src/shard.ts owns the
 * rule). Every statement that selects rows by shard builds its expression here, so SQL and
 * TypeScript cannot drift apart; test/shard-sql.spec.ts checks that they agree.
 *
 * `hash` is a column or expression of type int4, `shardCount` a parameter or literal.
 */
export function shardOfSql(hash: string, shardCount: string): string {
  return `(${hash} % ${shardCount})`;
}
