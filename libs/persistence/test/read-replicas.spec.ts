import net from 'node:net';
import { Database, Queryable, ReadReplicas } from '../src';
import { testDatabase } from './support';

/**
 * Routing of reads over replicas (docs/scaling.md "Read replicas"). The "replica" that answers
 * is the test database itself, opened by a second URL (what the primary has, a caught-up replica
 * shows); the one that fails is a port nobody listens on. The e2e replica-sync.spec.ts runs the
 * same code against a real streaming replica.
 */

/** A URL of the test database on a port where nothing listens. */
async function deadUrl(url: string): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

async function whoServes(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ port: number }>('SELECT inet_server_port() AS port');
  return String(rows[0].port);
}

describe('ReadReplicas', () => {
  let primary: Database;
  let url: string;
  beforeAll(async () => {
    primary = await testDatabase(2);
    url = (primary.pool as unknown as { options: { connectionString: string } }).options
      .connectionString;
  });
  afterAll(() => primary.close());

  it('an unreachable replica: the read goes to the next one, and it is left out for a while', async () => {
    const events: string[] = [];
    const dead = await deadUrl(url);
    const replicas = new ReadReplicas({
      urls: [dead, url],
      poolSize: 2,
      primary,
      retryAfterMs: 60_000,
      observer: {
        served: (t) => events.push(`served ${t === 'primary' ? 'primary' : t.split(':')[1]}`),
        fallback: (r, reason) => events.push(`fallback ${r.split(':')[1]} ${reason}`),
      },
    });
    try {
      const livePort = new URL(url).port;
      const deadPort = new URL(dead).port;
      for (let i = 0; i < 4; i++) await whoServes(replicas.reads);
      // The first read tries the dead one (round-robin starts there) and moves on; after that it
      // is skipped until retryAfterMs has passed.
      expect(events).toEqual([
        `fallback ${deadPort} unreachable`,
        `served ${livePort}`,
        `served ${livePort}`,
        `served ${livePort}`,
        `served ${livePort}`,
      ]);
    } finally {
      await replicas.close();
    }
  });

  it('no replica answers: the primary serves the read', async () => {
    const served: string[] = [];
    const replicas = new ReadReplicas({
      urls: [await deadUrl(url)],
      poolSize: 1,
      primary,
      retryAfterMs: 60_000,
      observer: { served: (t) => served.push(t) },
    });
    try {
      await whoServes(replicas.reads);
      expect(served).toEqual(['primary']);
    } finally {
      await replicas.close();
    }
  });

  it('a failing statement is the caller’s error: not retried elsewhere', async () => {
    const served: string[] = [];
    const fallbacks: string[] = [];
    const replicas = new ReadReplicas({
      urls: [url],
      poolSize: 1,
      primary,
      retryAfterMs: 60_000,
      observer: { served: (t) => served.push(t), fallback: (r) => fallbacks.push(r) },
    });
    try {
      await expect(replicas.reads.query('SELECT * FROM no_such_table')).rejects.toThrow(
        /no_such_table/,
      );
      expect(served).toEqual([]);
      expect(fallbacks).toEqual([]);
    } finally {
      await replicas.close();
    }
  });

  it('reports each replica’s lag against the primary (0 for the primary itself)', async () => {
    const replicas = new ReadReplicas({
      urls: [url, await deadUrl(url)],
      poolSize: 1,
      primary,
      retryAfterMs: 1000,
    });
    try {
      const [live, dead] = await replicas.lag(5000);
      expect(live.up).toBe(true);
      expect(live.seconds).toBe(0);
      expect(dead.up).toBe(false);
    } finally {
      await replicas.close();
    }
  });
});
