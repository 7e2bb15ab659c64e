import { conversationHash } from '@realchat/domain';
import type { Queryable } from '../database';
import type { OutboxEventInput } from './event-envelope';

/** NOTIFY channel that wakes relays as soon as an outbox row commits. */
export const OUTBOX_CHANNEL = 'realchat_outbox';

/**
 * Inserts the event and notifies relays, in one statement. The NOTIFY is transactional: it is
 * delivered when (and only if) the transaction commits, so a relay never wakes up for a row it
 * cannot see yet. `tx` must be inside the transaction that writes the change.
 */
export async function writeOutboxEvent(tx: Queryable, event: OutboxEventInput): Promise<void> {
  await tx.query({
    name: 'outbox_insert',
    text: `${withOutboxEvent(1)} ${notifyRelays(1)}`,
    values: outboxValues(event),
  });
}

/**
 * The data-modifying CTE that inserts an outbox event from parameters $first..$first+6. A
 * statement starts with it, may add the change the event describes as further CTEs, and must
 * end with notifyRelays(first): change, event and wake-up are then one statement.
 */
export function withOutboxEvent(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `WITH outbox_event AS (
      INSERT INTO outbox (event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent)
      VALUES (${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}))`;
}

/** The final SELECT of such a statement: NOTIFY relays with the event's conversation hash. */
export function notifyRelays(first: number): string {
  return `SELECT pg_notify('${OUTBOX_CHANNEL}', $${first + 2}::text)`;
}

/** The seven parameters of withOutboxEvent, in order. */
export function outboxValues(event: OutboxEventInput): unknown[] {
  return [
    event.eventId,
    event.conversationId,
    conversationHash(event.conversationId),
    event.eventType,
    event.schemaVersion,
    Buffer.from(event.payload),
    event.traceparent ?? null,
  ];
}
