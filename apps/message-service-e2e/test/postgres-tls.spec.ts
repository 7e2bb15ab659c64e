import {
  EventCollector,
  freshDatabase,
  query,
  Stack,
  startTlsPostgres,
  TestCertificates,
  testTopic,
  TlsPostgres,
} from '@realchat/testing';

/** `url` with its query string replaced by `params`. */
function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  u.search = new URLSearchParams(params).toString();
  return u.toString();
}

/**
 * docs/tls.md "PostgreSQL": TLS to PostgreSQL is configured in DATABASE_URL alone
 * (sslmode=verify-full&sslrootcert=<CA file>), and every app honours it, against a server that
 * rejects connections without TLS.
 */
describe('PostgreSQL over TLS through DATABASE_URL', () => {
  let pg: TlsPostgres;
  let certs: TestCertificates;
  let verified: string;

  beforeAll(async () => {
    certs = TestCertificates.create('e2e-pg');
    pg = await startTlsPostgres(certs);
    verified = withParams(pg.url, { sslmode: 'verify-full', sslrootcert: pg.ca.cert });
  });

  it('connects with sslmode=verify-full and the CA, over TLS; the server refuses plaintext', async () => {
    const [row] = await query<{ ssl: boolean }>(
      verified,
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(row.ssl).toBe(true);
    await expect(query(pg.url, 'SELECT 1')).rejects.toThrow(/no encryption/);
  });

  it('refuses a server whose certificate the given CA did not sign', async () => {
    const other = certs.ca('not-the-postgres-ca');
    const url = withParams(pg.url, { sslmode: 'verify-full', sslrootcert: other.cert });
    await expect(query(url, 'SELECT 1')).rejects.toThrow(/certificate/);
  });

  it('runs message-api, the stub and the relay with such a DATABASE_URL', async () => {
    const db = await freshDatabase('e2e_pgtls', verified);
    expect(new URL(db).searchParams.get('sslmode')).toBe('verify-full');
    const topic = testTopic('e2e-pgtls');
    const collector = await EventCollector.start(topic);
    const stack = await Stack.start({ databaseUrl: db, relays: 1, topic });
    try {
      const c = (await stack.conversationApi().create(['ann', 'ben'])).conversation!.conversationId;
      await stack
        .messageApi()
        .send('ann', { conversationId: c, senderUserId: 'ann', content: 'x' });
      // The relay read the outbox over TLS too.
      await collector.waitUntil('the event', () => collector.forKey(c).length === 1);
      // The apps' connections (pools and the relay's LISTEN), all over TLS.
      const [counts] = await query<{ tls: number; plain: number }>(
        verified,
        `SELECT count(*) FILTER (WHERE ssl)::int AS tls, count(*) FILTER (WHERE NOT ssl)::int AS plain
           FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = $1`,
        [new URL(db).pathname.slice(1)],
      );
      expect(counts.tls).toBeGreaterThan(0);
      expect(counts.plain).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});
