import { Database, withDatabase } from '../src';
import { testDatabase } from './support';

/** Database.transaction's timeout bounds the whole transaction, not each statement. */
describe('Database.transaction timeoutMs', () => {
  let db: Database;
  beforeAll(async () => {
    db = await testDatabase(2);
  });
  afterAll(() => db.close());

  it('ends a transaction whose statements together outlast it, though each alone would fit', async () => {
    const started = Date.now();
    // 3 x 250 ms against a 400 ms bound: a per-statement timeout would let all three run.
    // (transaction_timeout: PostgreSQL 17+, which the tests run on.)
    const error = await db
      .transaction({ timeoutMs: 400 }, async (client) => {
        await client.query('SELECT pg_sleep(0.25)');
        await client.query('SELECT pg_sleep(0.25)');
        await client.query('SELECT pg_sleep(0.25)');
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).not.toBeNull();
    // Whether the time ran out in a statement (a timeout SQLSTATE) or between two (the session
    // was ended), the caller whose deadline it was hears DEADLINE_EXCEEDED.
    await expect(
      withDatabase('testing', () => Promise.reject(error), new Date(started + 400)),
    ).rejects.toMatchObject({ kind: 'deadline-exceeded' });
    // The pool recovers: the next transaction runs.
    expect(
      await db.transaction(
        { timeoutMs: 1000 },
        async (c) => (await c.query('SELECT 1 AS x')).rows[0].x,
      ),
    ).toBe(1);
  });

  it('also ends the wait for a pooled connection', async () => {
    let release!: () => void;
    const busy = new Promise<void>((r) => (release = r));
    const holders = [1, 2].map(() => db.transaction(() => busy));
    const deadline = new Date(Date.now() + 200);
    const outcome = withDatabase(
      'waiting for a connection',
      () => db.transaction({ timeoutMs: 200 }, async () => 'ran'),
      deadline,
    ).catch((e: { kind?: string }) => e.kind);
    // Answered by its own bound, long before the pool's 5 s connect timeout would answer.
    const stillWaiting = new Promise((r) =>
      setTimeout(() => r('still waiting after 2 s'), 2000).unref(),
    );
    expect(await Promise.race([outcome, stillWaiting])).toBe('deadline-exceeded');
    release();
    await Promise.all(holders);
  });

  it('reports a statement timeout before the caller deadline as UNAVAILABLE', async () => {
    // WRITE_TX_TIMEOUT_MS-style bound (100 ms) well before the caller's deadline (60 s).
    await expect(
      withDatabase(
        'sleeping',
        () => db.transaction({ timeoutMs: 100 }, (c) => c.query('SELECT pg_sleep(1)')),
        new Date(Date.now() + 60_000),
      ),
    ).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
