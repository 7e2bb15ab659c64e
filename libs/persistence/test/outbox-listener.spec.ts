import path from 'node:path';
import { Client } from 'pg';
import { OUTBOX_CHANNEL, OutboxListener } from '../src/outbox';
import { createScratchDatabase } from '../src/testing';

let url: string;
let admin: Client;
beforeAll(async () => {
  // A database of its own: no other test's NOTIFY reaches this listener.
  url = await createScratchDatabase(
    process.env.DATABASE_URL!,
    'listener_test',
    path.resolve(__dirname, '../../../prisma/migrations'),
  );
  admin = new Client({ connectionString: url });
  await admin.connect();
});
afterAll(() => admin.end());

async function waitFor(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const notify = (hash: number) =>
  admin.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, String(hash)]);

describe('OutboxListener', () => {
  it('after its connection is terminated, reconnects and only the new connection delivers, once', async () => {
    const clients: Client[] = [];
    const states: boolean[] = [];
    const got: number[] = [];
    const listener = new OutboxListener(url, {
      retryMs: 50,
      onStateChange: (connected) => states.push(connected),
      createClient: (u) => {
        const c = new Client({ connectionString: u });
        clients.push(c);
        return c;
      },
    });
    try {
      await listener.start((hash) => got.push(hash));
      await notify(1);
      await waitFor('the first notification', () => got.length === 1);

      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      );
      await waitFor('the reconnect', () => states.length === 3);
      expect(states).toEqual([true, false, true]);
      expect(clients).toHaveLength(2);

      // The replaced connection keeps no handler of ours ...
      const [old] = clients;
      expect(old.listenerCount('notification')).toBe(0);
      expect(old.listenerCount('end')).toBe(0);
      // ... so a late event of it cannot tear down the new connection (which would leave that
      // one listening unowned and deliver every notification twice).
      old.emit('end');
      old.emit('error', new Error('late error of the old connection'));
      await new Promise((r) => setTimeout(r, 300)); // longer than retryMs: a reconnect would show
      expect(clients).toHaveLength(2);
      expect(states).toEqual([true, false, true]);

      await notify(2);
      await notify(3);
      await waitFor('both notifications', () => got.includes(3));
      expect(got).toEqual([1, 2, 3]);
    } finally {
      await listener.close();
    }
  });
});
