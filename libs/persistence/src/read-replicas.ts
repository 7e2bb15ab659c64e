import type { Pool, QueryConfig } from 'pg';
import { Database, Queryable } from './database';

export interface ReadReplicasOptions {
  /** postgresql:// URLs of the streaming replicas (hot standbys) of `primary`. */
  readonly urls: readonly string[];
  /** Connections per replica in this process' pools. */
  readonly poolSize: number;
  /** Where reads go when no replica answers: the primary's Database (not owned: not closed). */
  readonly primary: Database;
  /** How long a replica that failed is left out before it is tried again. */
  readonly retryAfterMs: number;
  /** Longest wait to open a connection to a replica before falling back. */
  readonly connectTimeoutMs?: number;
  readonly observer?: ReadReplicasObserver;
}

/** What the replicas report to their owner (message-api records it as metrics). */
export interface ReadReplicasObserver {
  /** A read that a replica did not serve went to the primary (or to another replica). */
  readonly fallback?: (replica: string, reason: 'unreachable' | 'recovery-conflict') => void;
  /** One read was served by `target` (a replica's host:port, or 'primary'). */
  readonly served?: (target: string) => void;
}

/** The lag of one replica behind the primary, as the app sees it. */
export interface ReplicaLag {
  /** host:port of the replica (never its credentials). */
  readonly replica: string;
  /** Whether both the replica and the primary answered. */
  readonly up: boolean;
  /**
   * Seconds since the last transaction the replica applied committed on the primary, or 0 when
   * it has applied everything it received (an idle primary is not lag).
   */
  readonly seconds: number;
  /** WAL bytes the primary has written that the replica has not applied yet. */
  readonly bytes: number;
}

/** Errors after which the same read may be served elsewhere: the replica could not answer it. */
function fallbackReason(e: unknown): 'unreachable' | 'recovery-conflict' | null {
  const code = (e as { code?: string }).code;
  // 40001 on a standby: "canceling statement due to conflict with recovery"; 57P04: its
  // database was dropped by replay. Neither means the read is wrong, only that this server
  // cannot serve it now.
  if (code === '40001' || code === '57P04') return 'recovery-conflict';
  // No code (pg's own connect timeout, a dropped connection), a Node errno (ECONNREFUSED...),
  // class 08 (connection exception) or an administrator/crash shutdown: it is not there.
  if (code === undefined || /^(E[A-Z]|08|57P0[123])/.test(code)) return 'unreachable';
  return null;
}

interface Replica {
  readonly name: string;
  readonly db: Database;
  /** Date.now() before which the replica is left out (after a failure). */
  downUntil: number;
}

/**
 * Reads served by streaming replicas, round-robin over those that answered last time, falling
 * back to the primary when none can serve a read (docs/scaling.md "Read replicas").
 *
 * Any replica may serve any read: a replica applies the primary's commits in commit order, so it
 * shows every conversation as a prefix of the primary's (sequence order is commit order per
 * conversation, docs/sync-contract.md "Reads from a replica"). The primary is the longest prefix,
 * so falling back to it never shows a client less than a replica would have.
 *
 * `reads` runs every query this way: message-api's read-side store (MessageReads) built over it
 * reads from the replicas without knowing it. Reads are single statements, so no checkout is
 * offered: a transaction would have to stay on one server.
 */
export class ReadReplicas {
  readonly reads: Queryable = {
    query: ((...args: unknown[]) =>
      this.route((pool) =>
        (pool.query as (...a: unknown[]) => Promise<unknown>)(...args),
      )) as Queryable['query'],
  };
  private readonly replicas: Replica[];
  private next = 0;

  constructor(private readonly options: ReadReplicasOptions) {
    if (options.urls.length === 0) throw new Error('ReadReplicas: no replica URL');
    this.replicas = options.urls.map((url) => {
      const db = new Database({
        url,
        poolSize: options.poolSize,
        connectTimeoutMs: options.connectTimeoutMs ?? 2000,
      });
      const u = new URL(url);
      return { name: `${u.hostname}:${u.port || '5432'}`, db, downUntil: 0 };
    });
  }

  /**
   * Runs `read` on the next replica that is not left out, then on the others, then on the
   * primary. Only errors that say the replica could not serve the read move it on; any other
   * error (a bad statement) is the caller's.
   */
  async route<T>(read: (pool: Pool) => Promise<T>): Promise<T> {
    const now = Date.now();
    const start = this.next++ % this.replicas.length;
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[(start + i) % this.replicas.length];
      if (replica.downUntil > now) continue;
      try {
        const result = await read(replica.db.pool);
        this.options.observer?.served?.(replica.name);
        return result;
      } catch (e) {
        const reason = fallbackReason(e);
        if (reason === null) throw e;
        if (reason === 'unreachable') replica.downUntil = Date.now() + this.options.retryAfterMs;
        this.options.observer?.fallback?.(replica.name, reason);
      }
    }
    const result = await read(this.options.primary.pool);
    this.options.observer?.served?.('primary');
    return result;
  }

  /** Each replica's lag behind the primary (for a periodically sampled gauge). */
  async lag(timeoutMs: number): Promise<ReplicaLag[]> {
    let primaryLsn: string | null = null;
    try {
      const { rows } = await this.options.primary.pool.query<{ lsn: string }>({
        text: 'SELECT pg_current_wal_lsn()::text AS lsn',
        query_timeout: timeoutMs,
      } as QueryConfig);
      primaryLsn = rows[0].lsn;
    } catch {
      // Reported as not up below: without the primary's position the lag is unknown.
    }
    return Promise.all(
      this.replicas.map(async (r): Promise<ReplicaLag> => {
        if (primaryLsn === null) return { replica: r.name, up: false, seconds: 0, bytes: 0 };
        try {
          const { rows } = await r.db.pool.query<{ seconds: number; bytes: string }>({
            text: `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                          ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
                          END AS seconds,
                          greatest(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::text
                            AS bytes`,
            values: [primaryLsn],
            query_timeout: timeoutMs,
          } as QueryConfig);
          return {
            replica: r.name,
            up: true,
            seconds: Math.max(0, rows[0].seconds ?? 0),
            bytes: Number(rows[0].bytes ?? 0),
          };
        } catch {
          return { replica: r.name, up: false, seconds: 0, bytes: 0 };
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.db.close()));
  }
}
