import { Database } from '@realchat/persistence';
import { OutboxStore } from '@realchat/persistence/outbox';
import { RelayMetrics } from '../src/metrics';
import { startProbes } from '../src/http/probes';
import { OutboxRelay } from '../src/relay/outbox-relay';
import { FakeLeaseTable } from './fakes/fake-leases';
import { capturingLogger } from './fakes/harness';
import { InMemorySink } from './fakes/in-memory-sink';
import { scratchDatabase } from './support/database';

/**
 * /readyz over HTTP with the real OutboxStore: readiness asks PostgreSQL, so losing the
 * database shows at once, even on a replica that holds no shard and so never reads the outbox.
 */
describe('HTTP probes', () => {
  let db: Database;
  beforeEach(async () => {
    db = await scratchDatabase('relay_probes');
  });
  afterEach(() => db.close().catch(() => undefined));

  it('/readyz answers 503 as soon as PostgreSQL stops answering', async () => {
    const { logger } = capturingLogger();
    const metrics = new RelayMetrics();
    const table = new FakeLeaseTable(3000);
    const source = new OutboxStore(db, 4);
    const relay = new OutboxRelay(
      { replicaId: 'r1', shardCount: 4, leaseMs: 3000, pollIntervalMs: 20 },
      { source, sink: new InMemorySink(), leases: table.store('r1', 4), metrics, logger },
    );
    // All shards are another replica's: the publish loop never queries PostgreSQL.
    for (let s = 0; s < 4; s++)
      table.shards.set(s, { owner: 'r2', epoch: 1n, expiresAt: Date.now() + 60_000 });
    table.replicas.set('r2', Date.now() + 60_000);
    const running = relay.run();
    await relay.started;
    const http = await startProbes('127.0.0.1', 0, {
      metrics,
      source,
      ready: () => relay.ready(),
      logger,
    });
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${http.port}/readyz`);
      return `${r.status} ${await r.text()}`;
    };
    try {
      const deadline = Date.now() + 10_000;
      while (!(await readyz()).startsWith('200') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(await readyz()).toBe('200 ready postgres=true kafka=true leases=true\n');
      await db.close(); // PostgreSQL gone for this replica
      expect(await readyz()).toBe('503 not ready postgres=false kafka=true leases=true\n');
    } finally {
      await http.close();
      await relay.close();
      await running;
    }
  });
});
