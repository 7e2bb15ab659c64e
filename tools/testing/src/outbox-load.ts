import { randomUUID } from 'node:crypto';
import { Database } from '@realchat/persistence';
import { writeOutboxEvent } from '@realchat/persistence/outbox';
import { EventEnvelope, EventType, MessageSentEvent } from '@realchat/proto';
import { query } from './database';
import type { ReceivedEvent } from './kafka-events';

/**
 * Commits outbox events the way message-api does (one transaction each, with NOTIFY), for a set
 * of conversations, each event carrying its conversation's next sequence. Records what was
 * committed so that a test can compare it with what reached Kafka.
 */
export class OutboxLoad {
  readonly committed = new Map<string, number>(); // conversation -> last committed sequence
  private readonly db: Database;
  private stopped = false;

  constructor(
    databaseUrl: string,
    readonly conversations: string[],
  ) {
    this.db = new Database({ url: databaseUrl, poolSize: conversations.length + 2 });
  }

  /**
   * Writes `eventsPerConversation` more events to each conversation (continuing its sequence),
   * or until `stop()`, pausing `pauseMs` between events.
   */
  async run(eventsPerConversation: number, pauseMs = 0): Promise<void> {
    this.stopped = false;
    await Promise.all(
      this.conversations.map(async (c) => {
        const first = (this.committed.get(c) ?? 0) + 1;
        for (let seq = first; seq < first + eventsPerConversation && !this.stopped; seq++) {
          const payload = MessageSentEvent.encode({
            message: {
              conversationId: c,
              sequence: seq,
              messageId: randomUUID(),
              senderUserId: 'load',
              messageType: 'text',
              content: `m${seq}`,
              metadataJson: '',
              deletionMode: 0,
              version: 1,
              editSequence: 0,
              sentAt: new Date(),
              deletedAt: undefined,
              editedAt: undefined,
            },
          }).finish();
          const envelope = EventEnvelope.encode({
            eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
            schemaVersion: 1,
            occurredAt: new Date(),
            payload: Buffer.from(payload),
          }).finish();
          await this.db.transaction((tx) =>
            writeOutboxEvent(tx, {
              eventId: randomUUID(),
              conversationId: c,
              eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
              schemaVersion: 1,
              payload: envelope,
            }),
          );
          this.committed.set(c, seq);
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        }
      }),
    );
  }

  stop(): void {
    this.stopped = true;
  }

  get total(): number {
    return [...this.committed.values()].reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * What at-least-once, ordered per conversation means: with duplicates (same event-id) dropped,
 * each conversation's events arrive exactly as committed, 1..N in order. Returns the problems.
 */
export function deliveryProblems(
  committed: Map<string, number>,
  events: ReceivedEvent[],
): string[] {
  const problems: string[] = [];
  for (const [c, last] of committed) {
    const seen = new Set<string>();
    const sequences: number[] = [];
    for (const e of events) {
      if (e.key !== c || seen.has(e.headers['event-id'])) continue;
      seen.add(e.headers['event-id']);
      sequences.push(e.position);
    }
    const expected = Array.from({ length: last }, (_, i) => i + 1);
    if (sequences.length !== expected.length || sequences.some((s, i) => s !== expected[i])) {
      const firstBad = sequences.findIndex((s, i) => s !== expected[i]);
      problems.push(
        `${c}: ${sequences.length}/${last} distinct events, first out of place at index ${firstBad} (${sequences.slice(Math.max(0, firstBad - 2), firstBad + 3).join(',')})`,
      );
    }
  }
  return problems;
}

/** Polls until `done()` or fails after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  done: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Rows waiting in the outbox of `databaseUrl`. */
export async function outboxSize(databaseUrl: string): Promise<number> {
  const [{ n }] = await query<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM outbox');
  return n;
}

/**
 * Waits until the outbox is empty and every committed event has reached Kafka, then returns
 * the delivery problems left: none when nothing was lost and each conversation kept its order.
 */
export async function deliveredInOrder(
  databaseUrl: string,
  load: OutboxLoad,
  events: { events: ReceivedEvent[] },
  timeoutMs = 60_000,
): Promise<string[]> {
  await eventually(
    'the outbox to drain',
    async () => (await outboxSize(databaseUrl)) === 0,
    timeoutMs,
  );
  const allThere = () => deliveryProblems(load.committed, events.events).length === 0;
  await eventually('every event on Kafka', allThere, 30_000).catch(() => undefined);
  return deliveryProblems(load.committed, events.events);
}
