import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DEFAULT_LIMITS } from '@realchat/domain';
import { Database } from '@realchat/persistence';
import { MessageStore } from '@realchat/persistence/messages';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { SendMessage } from '../src/app/send-message';
import { protoMessageEvents } from '../src/grpc/message-events';
import { FakeDirectory } from './fakes/fake-directory';

/**
 * The client's deadline bounds the whole write, the wait for the conversation's lock included
 * (SendMessage on the PostgreSQL adapter; the Conversation API is a fake that counts numbers).
 */
describe('a send under a deadline', () => {
  let url: string;
  let db: Database;
  let directory: FakeDirectory;
  let send: SendMessage;
  beforeAll(async () => {
    url = await createScratchDatabase(
      process.env.DATABASE_URL!,
      'msgapi_deadline',
      path.resolve(__dirname, '../../../prisma/migrations'),
    );
    db = new Database({ url, poolSize: 4 });
  });
  beforeEach(() => {
    directory = new FakeDirectory();
    send = new SendMessage(new MessageStore(db), directory, protoMessageEvents, DEFAULT_LIMITS);
  });
  afterAll(() => db.close());

  const input = (conversationId: string) => ({
    conversationId,
    senderUserId: 'alice',
    idempotencyKey: '',
    messageType: '',
    content: 'hi',
    metadataJson: '',
  });
  const written = async (conversationId: string) => {
    const { rows } = await db.pool.query<{ m: number; o: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE conversation_id = $1) AS m,
              (SELECT count(*)::int FROM outbox WHERE conversation_id = $1) AS o`,
      [conversationId],
    );
    return rows[0];
  };

  it('fails DEADLINE_EXCEEDED soon after the deadline while another session holds the lock, writing nothing', async () => {
    const c = `conv-${randomUUID()}`;
    directory.add(c, { alice: 'member' });
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [c]);
      const started = Date.now();
      const outcome = await send
        .execute(input(c), { userId: 'alice', deadline: new Date(started + 300) })
        .then(
          () => 'sent',
          (e: { kind?: string }) => e.kind,
        );
      const tookMs = Date.now() - started;
      expect(outcome).toBe('deadline-exceeded');
      expect(tookMs).toBeLessThan(2000);
      expect(directory.nextSequenceCalls).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await written(c)).toEqual({ m: 0, o: 0 });
    // The connection that timed out is usable again (or was replaced): the next send succeeds.
    await send.execute(input(c), { userId: 'alice', deadline: new Date(Date.now() + 5000) });
    expect(await written(c)).toEqual({ m: 1, o: 1 });
  });

  it('answers DEADLINE_EXCEEDED, not UNAVAILABLE, for a deadline that passed before the write', async () => {
    const c = `conv-${randomUUID()}`;
    directory.add(c, { alice: 'member' });
    await expect(
      send.execute(input(c), { userId: 'alice', deadline: new Date(Date.now() - 1) }),
    ).rejects.toMatchObject({ kind: 'deadline-exceeded' });
    expect(directory.nextSequenceCalls).toEqual([]);
    expect(await written(c)).toEqual({ m: 0, o: 0 });
  });

  it('answers UNAVAILABLE when the database cannot be reached, deadline or not', async () => {
    const down = new Database({
      url: 'postgresql://postgres:postgres@127.0.0.1:1/none',
      poolSize: 1,
    });
    const c = `conv-${randomUUID()}`;
    directory.add(c, { alice: 'member' });
    const unreachable = new SendMessage(
      new MessageStore(down),
      directory,
      protoMessageEvents,
      DEFAULT_LIMITS,
    );
    await expect(
      unreachable.execute(input(c), { userId: 'alice', deadline: new Date(Date.now() + 5000) }),
    ).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(unreachable.execute(input(c), { userId: 'alice' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    await down.close();
  });
});
