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

/** Postgres array types of OUTBOX_COLUMNS, for unnest(). */
const OUTBOX_ARRAY_TYPES = ['uuid', 'text', 'int', 'int', 'int', 'bytea', 'text'];

/**
 * The batch form of `changeWithOutboxEvent`: one statement that writes n changes and their n
 * events, in order, and wakes relays once. `changeSql` inserts from `unnest` of the array
 * parameters $1..$`changeParams` (one array per column, WITH ORDINALITY ... ORDER BY so rows
 * are inserted in array order); the events' arrays are appended after them, and their outbox
 * ids follow the order of `events`, which is what the relay publishes in. All events must
 * belong to one conversation (one wake-up).
 */
export function changesWithOutboxEvents(
  name: string,
  changeSql: string,
  changeParams: number,
): (changeColumns: readonly unknown[][], events: readonly OutboxEventInput[]) => QueryConfig {
  const p = OUTBOX_ARRAY_TYPES.map((t, i) => `$${changeParams + 1 + i}::${t}[]`);
  const cols = OUTBOX_COLUMNS.split(', ');
  const text =
    `WITH change AS (${changeSql}), ` +
    `outbox_event AS (INSERT INTO outbox (${OUTBOX_COLUMNS}) ` +
    `SELECT ${cols.map((c) => `e.${c}`).join(', ')} FROM unnest(${p.join(', ')}) ` +
    `WITH ORDINALITY AS e(${OUTBOX_COLUMNS}, ord) ORDER BY e.ord) ` +
    `SELECT pg_notify('${OUTBOX_CHANNEL}', (${p[2]})[1]::text)`;
  return (columns, events) => {
    if (columns.length !== changeParams) {
      throw new Error(`${name}: expected ${changeParams} columns, got ${columns.length}`);
    }
    if (columns.some((c) => c.length !== events.length)) {
      throw new Error(`${name}: every column needs one value per event (${events.length})`);
    }
    const conversations = new Set(events.map((e) => e.conversationId));
    if (conversations.size !== 1) {
      throw new Error(`${name}: events of ${conversations.size} conversations in one batch`);
    }
    const eventColumns = OUTBOX_ARRAY_TYPES.map(() => [] as unknown[]);
    for (const e of events) eventValues(e).forEach((v, i) => eventColumns[i].push(v));
    return { name, text, values: [...columns, ...eventColumns] };
  };
}
