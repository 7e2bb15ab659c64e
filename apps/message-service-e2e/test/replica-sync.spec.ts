import path from 'node:path';
import { waitFor as waitUntil } from '@realchat/infra';
import { createScratchDatabase } from '@realchat/persistence/testing';
import {
  ChatLoad,
  metricValue,
  PgReplicaPair,
  query,
  scrapeMetrics,
  Stack,
  SyncReader,
} from '@realchat/testing';

/**
 * SyncMessages served by a real streaming replica (docs/sync-contract.md "Reads from a
 * replica"). Two message-api instances write to a dedicated primary and read sync pages from its
 * replica. With replay paused the replica lags; readers that sync continuously must never skip a
 * message or deletion and never move back, and once replay resumes they must converge to the
 * primary's full state. A stopped replica must not fail a sync: reads fall back to the primary.
 */
const MIGRATIONS = path.resolve(__dirname, '../../../prisma/migrations');
const DURATION_MS = Number(process.env.REPLICA_SYNC_DURATION_MS ?? 6000);
const USERS = ['alice', 'bob', 'carol'];

describe('sync from a streaming replica', () => {
  let pair: PgReplicaPair;
  let primaryDb: string;
  let stack: Stack;

  beforeAll(async () => {
    pair = await PgReplicaPair.start();
    primaryDb = await createScratchDatabase(pair.primaryUrl('postgres'), 'e2e_replica', MIGRATIONS);
    const name = new URL(primaryDb).pathname.slice(1);
    await pair.waitCaughtUp();
    stack = await Stack.start({
      databaseUrl: primaryDb,
      messageApis: 2,
      env: {
        DATABASE_READ_URL: pair.replicaUrl(name),
        READ_REPLICA_LAG_INTERVAL_MS: '200',
        READ_REPLICA_RETRY_MS: '1000',
      },
    });
  });
  afterAll(() => stack?.stop());

  it('lagging: readers never skip or go back, and converge after replay resumes', async () => {
    const conversations: string[] = [];
    for (let i = 0; i < 2; i++)
      conversations.push(
        (await stack.conversationApi().create(USERS)).conversation!.conversationId,
      );
    const apis = [stack.messageApi(0), stack.messageApi(1)];
    for (const c of conversations)
      await apis[0].send('alice', { conversationId: c, senderUserId: 'alice', content: 'before' });
    await pair.waitCaughtUp();
    await pair.pauseReplay();

    let writesDone = false;
    // A sender's own message with its sequence, and whether a sync from the lagging replica
    // answered a latest_sequence below it (the case the contract tells clients to expect).
    let ownMessageNotYetVisible = false;
    const load = new ChatLoad(apis, conversations, USERS, async (api, user, message) => {
      const page = await api.sync(user, {
        conversationId: message.conversationId,
        afterSequence: 0,
        pageSize: 1,
      });
      if (page.latestSequence < message.sequence) ownMessageNotYetVisible = true;
    });

    const readers = Array.from({ length: 4 }, (_, r) =>
      conversations.map((c) => new SyncReader(apis[r % 2], USERS[r % USERS.length], c, 5)),
    );
    const reader = async (states: SyncReader[]) => {
      while (!writesDone) for (const state of states) await state.step();
    };
    const readersDone = Promise.all(readers.map(reader));

    const writersDone = load.run(4);
    const stopTimer = setTimeout(() => load.stop(), DURATION_MS);
    // The lag the app sees, while replay is paused and writes continue.
    await waitUntil(
      'message-api to report replica lag',
      async () => (await metricValue(stack.apis[0].port('http'), 'read_replica_lag_bytes')) > 0,
      30_000,
    );
    // Replay resumes while writes and reads go on: readers then see the replica catch up live.
    await waitUntil('sends while replay is paused', async () => load.counts.sends >= 30, 60_000);
    // A sender did not find its own message on the lagging replica (the contract's case).
    expect(ownMessageNotYetVisible).toBe(true);
    const pausedLag = await metricValue(stack.apis[1].port('http'), 'read_replica_lag_seconds');
    expect(pausedLag).toBeGreaterThan(0);
    await pair.resumeReplay();
    await writersDone;
    clearTimeout(stopTimer);
    writesDone = true;
    await readersDone;
    // The primary's full state: every message with its sequence, every deletion with its own.
    const truth = await Promise.all(
      conversations.map(async (c) => ({
        messages: await query<{ message_id: string; sequence: string }>(
          primaryDb,
          'SELECT message_id, sequence FROM messages WHERE conversation_id = $1',
          [c],
        ),
        deletions: await query<{ message_id: string; deletion_sequence: string }>(
          primaryDb,
          'SELECT message_id, deletion_sequence FROM messages WHERE conversation_id = $1 AND deletion_sequence IS NOT NULL',
          [c],
        ),
      })),
    );
    for (const states of readers) {
      for (const [i, c] of conversations.entries()) {
        const last = Math.max(
          ...truth[i].messages.map((m) => Number(m.sequence)),
          ...truth[i].deletions.map((d) => Number(d.deletion_sequence)),
        );
        await waitUntil(
          `reader to reach ${last} in ${c}`,
          async () => {
            await states[i].catchUp();
            return states[i].cursor >= last;
          },
          60_000,
        );
        const got = states[i];
        expect(got.violations).toEqual([]);
        expect([...got.messages.entries()].sort()).toEqual(
          truth[i].messages.map((m) => [m.message_id, Number(m.sequence)]).sort(),
        );
        expect([...got.deletions.entries()].sort()).toEqual(
          truth[i].deletions.map((d) => [d.message_id, Number(d.deletion_sequence)]).sort(),
        );
        expect(got.cursor).toBe(last);
      }
    }
    const { sends, softDeletes, hardAfterSoft, hardDeletes } = load.counts;
    expect(sends).toBeGreaterThan(20);
    expect(softDeletes + hardAfterSoft + hardDeletes).toBeGreaterThan(0);
    await waitUntil(
      'the lag gauge to return to 0',
      async () => (await metricValue(stack.apis[0].port('http'), 'read_replica_lag_bytes')) === 0,
      30_000,
    );
  });

  it('a stopped replica: sync is served by the primary, and metrics say so', async () => {
    const c = (await stack.conversationApi().create(USERS)).conversation!.conversationId;
    const api = stack.messageApi(1);
    pair.stopReplica();
    const { message } = await api.send('bob', {
      conversationId: c,
      senderUserId: 'bob',
      content: 'x',
    });
    // No retry: the first sync after the replica went away already answers from the primary.
    const page = await api.sync('carol', { conversationId: c, afterSequence: 0, pageSize: 10 });
    expect(page.messages.map((m) => m.messageId)).toEqual([message!.messageId]);
    expect(page.latestSequence).toBe(message!.sequence);
    const port = stack.apis[1].port('http');
    expect(await metricValue(port, 'read_replica_fallbacks_total')).toBeGreaterThan(0);
    const served = (await scrapeMetrics(port)).filter((s) => s.name === 'sync_reads_total');
    expect(served.find((s) => s.labels.target === 'primary')?.value ?? 0).toBeGreaterThan(0);
    // Operators learn of it from the log too (once per READ_REPLICA_RETRY_MS), with no URL.
    const warned = await stack.apis[1].waitForLog(
      (l) => l.msg === 'read replica unreachable; its reads go elsewhere',
    );
    expect(warned.replica).toBe(`127.0.0.1:${pair.replicaPort}`);
    await waitUntil(
      'read_replica_up to drop to 0',
      async () => (await metricValue(port, 'read_replica_up')) === 0,
      30_000,
    );
  });
});
