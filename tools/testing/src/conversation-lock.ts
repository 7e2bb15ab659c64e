import { Client } from 'pg';
import { query } from './database';

/**
 * The write lock of a conversation, as message-api takes it: a transaction-level advisory lock
 * on hashtextextended(conversation_id, 0). Tests hold it from their own session or look at it
 * from outside to see where a write is.
 */
const KEY = 'hashtextextended($1, 0)';

/** True while some session holds the conversation's write lock. */
export async function conversationLockHeld(databaseUrl: string, conversationId: string) {
  const [{ n }] = await query<{ n: number }>(
    databaseUrl,
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::bigint << 32) | objid::bigint) = ${KEY}`,
    [conversationId],
  );
  return n > 0;
}

/** Sessions waiting for the conversation's write lock. */
export async function conversationLockWaiters(
  databaseUrl: string,
  conversationId: string,
): Promise<number> {
  const [{ n }] = await query<{ n: number }>(
    databaseUrl,
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::bigint << 32) | objid::bigint) = ${KEY}`,
    [conversationId],
  );
  return n;
}

/** True when the lock can be taken right now (taken and given back in one statement). */
export async function conversationLockFree(databaseUrl: string, conversationId: string) {
  const [{ free }] = await query<{ free: boolean }>(
    databaseUrl,
    `SELECT pg_try_advisory_xact_lock(${KEY}) AS free`,
    [conversationId],
  );
  return free;
}

/** Holds the conversation's write lock from a session of the test's own until `release()`. */
export async function holdConversationLock(
  databaseUrl: string,
  conversationId: string,
): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT pg_advisory_xact_lock(${KEY})`, [conversationId]);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}
