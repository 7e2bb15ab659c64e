import { conversationHash } from '@realchat/domain';
import type { QueryConfig } from 'pg';
import type { Queryable } from '../database';
import type { OutboxEventInput } from './event-envelope';

/** NOTIFY channel that wakes relays as soon as an outbox row commits. */
export const OUTBOX_CHANNEL = 'realchat_outbox';

const OUTBOX_COLUMNS =
  'event_id, conversation_id, key_hash, event_type, schema_version, payload, traceparent';

/**
 * The INSERT of an event and the NOTIFY that wakes relays, with the event's seven parameters
 * numbered from `first`. Only this module numbers them: callers give their own change's
 * parameters ($1..$n) and this module appends the event's after them.
 */
function eventSql(first: number): { insert: string; notify: string } {
  const p = Array.from({ length: 7 }, (_, i) => `$${first + i}`);
  return {
    insert: `INSERT INTO outbox (${OUTBOX_COLUMNS}) VALUES (${p.join(', ')})`,
    // Relays filter wake-ups by the conversation hash (the event's third parameter).
    notify: `SELECT pg_notify('${OUTBOX_CHANNEL}', ${p[2]}::text)`,
  };
}

/** The event's parameters, in OUTBOX_COLUMNS order. */
function eventValues(event: OutboxEventInput): unknown[] {
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

const EVENT_ONLY = eventSql(1);

/**
 * Inserts the event and notifies relays, in one statement. The NOTIFY is transactional: it is
 * delivered when (and only if) the transaction commits, so a relay never wakes up for a row it
 * cannot see yet. `tx` must be inside the transaction that writes the change.
 */
export async function writeOutboxEvent(tx: Queryable, event: OutboxEventInput): Promise<void> {
  await tx.query({
    name: 'outbox_insert',
    text: `WITH outbox_event AS (${EVENT_ONLY.insert}) ${EVENT_ONLY.notify}`,
    values: eventValues(event),
  });
}

/**
 * A prepared statement that writes a change together with its outbox event and wakes relays:
 * one statement, so one round trip, and neither can be written without the other.
 * `changeSql` is a data-modifying statement (INSERT/UPDATE without RETURNING) that uses
 * exactly the parameters $1..$`changeParams`; the returned function checks that it gets that
 * many values and appends the event's.
 */
export function changeWithOutboxEvent(
  name: string,
  changeSql: string,
  changeParams: number,
): (changeValues: readonly unknown[], event: OutboxEventInput) => QueryConfig {
  const event = eventSql(changeParams + 1);
  const text = `WITH change AS (${changeSql}), outbox_event AS (${event.insert}) ${event.notify}`;
  return (changeValues, ev) => {
    if (changeValues.length !== changeParams) {
      throw new Error(`${name}: expected ${changeParams} values, got ${changeValues.length}`);
    }
    return { name, text, values: [...changeValues, ...eventValues(ev)] };
  };
}
