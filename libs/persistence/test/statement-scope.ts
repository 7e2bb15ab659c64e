/**
 * The rule that lets the message and outbox tables be distributed by conversation_id (Citus) or
 * hash-partitioned without a rewrite (docs/scaling.md "Distributed PostgreSQL"): every statement
 * that reads or changes `messages` or `outbox` names one conversation (`conversation_id = $n`),
 * or, for the relay's reads of the outbox, its shards (`key_hash % $n`); every INSERT into them
 * gives each row's conversation_id.
 */

/** A table reference: FROM/JOIN/UPDATE/DELETE FROM/INTO followed by one of the two tables. */
const TABLE_REF = /\b(FROM|JOIN|UPDATE|INTO)\s+(messages|outbox)\b(?![_.])/gi;
const CONVERSATION = /\bconversation_id\s*=\s*\$\d+/i;
const SHARD = /\bkey_hash\s*%\s*\$\d+/i;

/**
 * The text a table reference governs: from the reference to the end of the parenthesised
 * query it sits in (a CTE or subquery), or to the end of the statement.
 */
function scopeOf(sql: string, from: number): string {
  let depth = 0;
  for (let i = from; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth < 0) return sql.slice(from, i);
  }
  return sql.slice(from);
}

/** The problems of one statement against the rule (none: it complies or does not touch them). */
export function scopeViolations(sql: string): string[] {
  const text = sql.replace(/\s+/g, ' ');
  const problems: string[] = [];
  for (const m of text.matchAll(TABLE_REF)) {
    const [ref, keyword, table] = m;
    const scope = scopeOf(text, m.index!);
    if (keyword.toUpperCase() === 'INTO') {
      const columns = /^\S+\s+\S+\s*\(([^)]*)\)/.exec(scope)?.[1] ?? '';
      if (!/\bconversation_id\b/.test(columns))
        problems.push(`${ref}: the inserted rows do not name their conversation_id`);
      continue;
    }
    if (CONVERSATION.test(scope)) continue;
    if (table.toLowerCase() === 'outbox' && SHARD.test(scope)) continue;
    problems.push(
      `${ref}: no conversation_id = $n${table.toLowerCase() === 'outbox' ? ' or shard' : ''} predicate in "${scope.slice(0, 160)}"`,
    );
  }
  return problems;
}

/**
 * Statements that may span conversations, each with why. An entry that no longer matches any
 * statement fails the test, so the list cannot outlive what it excuses.
 */
export const FLEET_WIDE: readonly { readonly fragment: string; readonly why: string }[] = [
  {
    fragment: 'SELECT (SELECT count(*)::int FROM outbox) AS pending',
    why:
      'OutboxStore.backlog: a read-only aggregate for the backlog gauges, sampled every few ' +
      'seconds by each relay; on Citus a multi-shard SELECT (one small query per shard), on ' +
      'partitions an Append; it changes nothing and needs no transaction across shards',
  },
];

export function isFleetWide(sql: string): boolean {
  const text = sql.replace(/\s+/g, ' ');
  return FLEET_WIDE.some((f) => text.includes(f.fragment));
}
