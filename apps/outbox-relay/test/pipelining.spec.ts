import { randomUUID } from 'node:crypto';
import { PublishError, type PendingEvent } from '../src/relay/ports';
import { sleep } from '../src/relay/sleep';
import { fakeRelay, until } from './fakes/harness';

/**
 * Pipelining (docs/outbox-relay.md "Pipelining"): the relay reads the next batch while one is
 * sent and deletes the previous one meanwhile. These tests hold sends in the fake sink to see
 * what the relay does while a batch is in flight, and make one batch fail.
 */

type Relay = ReturnType<typeof fakeRelay>;

/** Records every read: which event ids it returned and whether a send was in flight meanwhile. */
function recordReads({ outbox, sink }: Relay) {
  const reads: { ids: string[]; duringSend: boolean }[] = [];
  const pending = outbox.pending.bind(outbox);
  outbox.pending = async (shards, limit, excluding) => {
    const sendingBefore = sink.publishing > 0;
    const rows: PendingEvent[] = await pending(shards, limit, excluding);
    reads.push({
      ids: rows.map((r) => r.eventId),
      duringSend: sendingBefore || sink.publishing > 0,
    });
    return rows;
  };
  return reads;
}

/** Runs the relay until the outbox is empty, then closes it. */
async function runUntilDrained(r: Relay): Promise<void> {
  const running = r.relay.run();
  await until('the outbox to drain', () => r.outbox.rows.length === 0);
  await r.relay.close();
  await running;
}

/** The event ids of `key` in the order they were first accepted by the sink. */
function firstPublications({ sink }: Relay, key: string): string[] {
  const ids = sink.records.filter((r) => r.key === key).map((r) => r.headers['event-id']);
  return [...new Set(ids)];
}

/** Commits `perConversation` events to each conversation, interleaved; returns them by conversation. */
function commitInterleaved(relay: Relay, conversations: string[], perConversation: number) {
  const ids = new Map<string, string[]>(conversations.map((c) => [c, []]));
  for (let i = 0; i < perConversation; i++)
    for (const c of conversations) ids.get(c)!.push(relay.outbox.add(c));
  return ids;
}

describe('relay pipelining (fakes)', () => {
  it('a batch the broker rejects while the next batch of its shard is in flight: nothing later is sent or deleted ahead of it', async () => {
    // One shard, batches of two: a1 b1 | a2 b2 | a3 b3 | a4 b4.
    const r = fakeRelay({ shardCount: 1, batchSize: 2, maxInFlightBatches: 3 });
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const committed = commitInterleaved(r, [a, b], 4);
    const [a2, b2] = [committed.get(a)![1], committed.get(b)![1]];
    const later = [...committed.get(a)!.slice(2), ...committed.get(b)!.slice(2)];
    const reads = recordReads(r);
    let rejected = 0;
    let readAheadOfRejected: string[] = [];
    r.sink.whilePublishing = async (records) => {
      if (rejected > 0 || records[0].headers['event-id'] !== a2) return;
      // Hold the send until the batch after it was read, then refuse it like a broker would.
      await until('the batch after a2 b2 to be read ahead', () =>
        reads.some((x) => x.duringSend && x.ids.some((id) => later.includes(id))),
      );
      readAheadOfRejected = reads[reads.length - 1].ids;
      rejected++;
      throw new PublishError('broker', 'NOT_ENOUGH_REPLICAS (fake)', {
        reason: 'NOT_ENOUGH_REPLICAS',
      });
    };
    await runUntilDrained(r);

    expect(rejected).toBe(1);
    expect(readAheadOfRejected.some((id) => later.includes(id))).toBe(true);
    // Every later row of the shard is first published, and deleted, only after a2 and b2 were
    // published (after the retry).
    const at = (line: string) => r.timeline.indexOf(line);
    for (const failed of [a2, b2]) {
      expect(at(`publish ${failed}`)).toBeGreaterThanOrEqual(0);
      for (const l of later) {
        expect(at(`publish ${l}`)).toBeGreaterThan(at(`publish ${failed}`));
        expect(at(`ack ${l}`)).toBeGreaterThan(at(`publish ${failed}`));
      }
    }
    // First publications per conversation are in commit order, and nothing is missing.
    expect(firstPublications(r, a)).toEqual(committed.get(a));
    expect(firstPublications(r, b)).toEqual(committed.get(b));
  });

  it('a failing row holds back the later rows of its conversation that were read ahead', async () => {
    const r = fakeRelay({ shardCount: 1, batchSize: 2, maxInFlightBatches: 3, maxAttempts: 2 });
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    // a1 poison | b1 a2 | b2 a3: a2 and a3 are read ahead while the poison row fails.
    const a1 = r.outbox.add(a);
    const poison = r.outbox.add(a, { eventType: 9999 }); // no record can carry it
    const b1 = r.outbox.add(b);
    const a2 = r.outbox.add(a);
    const b2 = r.outbox.add(b);
    const a3 = r.outbox.add(a);
    const reads = recordReads(r);
    // Sends take a moment, so that reads ahead overlap them.
    r.sink.whilePublishing = () => sleep(5);
    await runUntilDrained(r);

    expect(r.outbox.parked.map((x) => x.eventId)).toEqual([poison]);
    // a2 was read while the poison row was still in the outbox ...
    const parkedAt = r.timeline.indexOf(`park ${poison}`);
    expect(reads.some((x) => x.ids.includes(a2))).toBe(true);
    // ... but published only after the poison row was parked, in commit order.
    expect(r.timeline.indexOf(`publish ${a2}`)).toBeGreaterThan(parkedAt);
    expect(r.timeline.indexOf(`publish ${a3}`)).toBeGreaterThan(parkedAt);
    expect(firstPublications(r, a)).toEqual([a1, a2, a3]);
    expect(firstPublications(r, b)).toEqual([b1, b2]);
  });

  it('reads the next batch while one is sent and publishes no row twice', async () => {
    const r = fakeRelay({ shardCount: 2, batchSize: 3, maxInFlightBatches: 3 });
    const conversations = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
    const committed = commitInterleaved(r, conversations, 10);
    const reads = recordReads(r);
    r.sink.whilePublishing = () => sleep(5);
    await runUntilDrained(r);

    expect(reads.some((x) => x.duringSend && x.ids.length > 0)).toBe(true);
    const sent = r.sink.calls.flat();
    expect(sent).toHaveLength(30);
    expect(new Set(sent).size).toBe(30);
    for (const c of conversations) expect(firstPublications(r, c)).toEqual(committed.get(c));
  });

  it('with maxInFlightBatches 1 reads only between sends, as before pipelining', async () => {
    const r = fakeRelay({ shardCount: 2, batchSize: 3, maxInFlightBatches: 1 });
    const conversations = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const committed = commitInterleaved(r, conversations, 6);
    const reads = recordReads(r);
    let deleting = 0;
    let readWhileDeleting = false;
    r.outbox.beforePending = async () => {
      if (deleting > 0) readWhileDeleting = true;
    };
    r.outbox.beforeAcknowledge = async () => {
      deleting++;
      await sleep(5);
      deleting--;
    };
    r.sink.whilePublishing = () => sleep(5);
    await runUntilDrained(r);

    expect(reads.filter((x) => x.duringSend)).toEqual([]);
    expect(readWhileDeleting).toBe(false);
    for (const c of conversations) expect(firstPublications(r, c)).toEqual(committed.get(c));
  });
});
