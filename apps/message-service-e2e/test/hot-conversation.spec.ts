import { randomUUID } from 'node:crypto';
import { EventEnvelope, MessageSentEvent } from '@realchat/proto';
import {
  freshDatabase,
  metricValue,
  outboxMismatches,
  query,
  Stack,
  SyncReader,
  type MessageApi,
} from '@realchat/testing';

/**
 * One hot conversation with group commit on two instances: many concurrent senders on both
 * message-apis, and readers syncing continuously from their cursor. Group commit writes a
 * batch in one transaction under the conversation's lock, so commit order must still equal
 * sequence order: a reader never misses a committed message, numbers have no gap (no crash
 * here), every message has its event, and the outbox holds the events in sequence order (the
 * order the relay publishes in).
 */
const WRITERS = 24;
const SENDS_PER_WRITER = 12;

describe('a hot conversation with group commit on two instances', () => {
  let stack: Stack;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await freshDatabase('e2e_hot');
    stack = await Stack.start({ databaseUrl, messageApis: 2 });
  });
  afterAll(() => stack?.stop());

  it('keeps every reader complete and the numbers gapless, in order, while sends batch', async () => {
    const c = (await stack.conversationApi().create(['alice', 'bob'])).conversation!.conversationId;
    // Several channels per instance, as a gateway would hold.
    const apis: MessageApi[] = Array.from({ length: 6 }, (_, i) => stack.messageApi(i % 2));
    let writesDone = false;
    const acknowledged = new Map<string, number>(); // message id -> sequence, as answered

    const writer = async (w: number) => {
      const api = apis[w % apis.length];
      for (let i = 0; i < SENDS_PER_WRITER; i++) {
        const key = randomUUID();
        const request = { conversationId: c, senderUserId: 'alice', idempotencyKey: key };
        const { message } = await api.send('alice', { ...request, content: `w${w} m${i}` });
        acknowledged.set(message!.messageId, message!.sequence);
        if (i % 5 === 0) {
          // A retry of the same send lands in some batch too: it must replay, not add.
          const again = await apis[(w + 1) % apis.length].send('alice', {
            ...request,
            content: `w${w} m${i}`,
          });
          expect(again.message).toEqual(message);
        }
      }
    };

    const readers = Array.from({ length: 4 }, (_, i) => new SyncReader(apis[i], 'bob', c));
    const reading = Promise.all(
      readers.map(async (r) => {
        while (!writesDone) await r.step();
        await r.catchUp();
      }),
    );
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    writesDone = true;
    await reading;

    const n = acknowledged.size;
    expect(n).toBe(WRITERS * SENDS_PER_WRITER);
    const expected = [...acknowledged.entries()].sort((a, b) => a[1] - b[1]);
    // Gapless: 1..n, each acknowledged once.
    expect(expected.map(([, s]) => s)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const r of readers) {
      expect(r.violations).toEqual([]);
      expect(r.sortedMessages()).toEqual(expected);
    }

    // Every message has its one event, and the outbox holds them in sequence order.
    expect(await outboxMismatches(databaseUrl, c)).toEqual([]);
    const rows = await query<{ payload: Buffer }>(
      databaseUrl,
      'SELECT payload FROM outbox WHERE conversation_id = $1 ORDER BY id',
      [c],
    );
    const published = rows.map(
      (r) => MessageSentEvent.decode(EventEnvelope.decode(r.payload).payload).message!.sequence,
    );
    expect(published).toEqual(Array.from({ length: n }, (_, i) => i + 1));

    // And group commit did batch: more sends than transactions on each instance.
    for (const api of stack.apis) {
      const port = api.port('http');
      const sends = await metricValue(port, 'message_send_batch_size_sum');
      const batches = await metricValue(port, 'message_send_batch_size_count');
      expect(sends).toBeGreaterThan(batches);
    }
  });
});
