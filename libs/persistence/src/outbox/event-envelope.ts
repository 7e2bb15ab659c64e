import { randomUUID } from 'node:crypto';
import { EventEnvelope, EventType } from '@realchat/proto';

/**
 * The outbox event envelope, wrapped and unwrapped here and nowhere else (Watermill's
 * envelope.go shape): message-api wraps an event when it writes the outbox row, the relay turns
 * the row into a Kafka record, consumers and tests unwrap the record value.
 *
 * What is stored once: `wrapEvent` derives the row's event_type and schema_version columns and
 * the envelope bytes from the same values, so they cannot disagree, and the relay never decodes
 * the bytes: it sends them untouched and builds the headers from the columns.
 */

/** Version of the payload schemas; consumers may branch on the `schema-version` header. */
export const SCHEMA_VERSION = 1;

/** Kafka `content-type` header of every record. */
export const ENVELOPE_CONTENT_TYPE =
  'application/x-protobuf; messageType=realchat.shared.v1.EventEnvelope';

/** An event to publish, written in the same transaction as the change it describes. */
export interface OutboxEventInput {
  /** Stable id, sent as Kafka header `event-id` (consumers deduplicate on it). */
  readonly eventId: string;
  readonly conversationId: string;
  /** realchat.shared.v1.EventType number. */
  readonly eventType: number;
  readonly schemaVersion: number;
  /** realchat.shared.v1.EventEnvelope bytes. */
  readonly payload: Uint8Array;
  readonly traceparent?: string;
}

/** A domain event before wrapping: its type, when it happened, and its encoded payload. */
export interface EventToWrap {
  readonly conversationId: string;
  readonly eventType: EventType;
  readonly occurredAt: Date;
  /** The encoded event message (e.g. realchat.message.v1.MessageSentEvent). */
  readonly payload: Uint8Array;
  readonly traceparent?: string;
}

/** Wraps an event in its EventEnvelope, with a new event id: the outbox row to write. */
export function wrapEvent(event: EventToWrap): OutboxEventInput {
  const bytes = EventEnvelope.encode({
    eventType: event.eventType,
    schemaVersion: SCHEMA_VERSION,
    occurredAt: event.occurredAt,
    payload: Buffer.from(event.payload),
  }).finish();
  return {
    eventId: randomUUID(),
    conversationId: event.conversationId,
    eventType: event.eventType,
    schemaVersion: SCHEMA_VERSION,
    payload: bytes,
    traceparent: event.traceparent,
  };
}

/** Decodes a record value (consumers, tests, tools); throws on bytes that are no envelope. */
export function unwrapEvent(value: Uint8Array): EventEnvelope {
  return EventEnvelope.decode(value);
}

/** An outbox row as the relay turns it into a record. */
export interface OutboxRecordSource {
  readonly eventId: string;
  readonly eventType: number;
  readonly schemaVersion: number;
  readonly traceparent: string | null;
}

/**
 * The Kafka headers of a row (docs/outbox-relay.md "Record format"), or null when its event
 * type is no known EventType: such a row can never become a valid record (the relay parks it).
 */
export function recordHeaders(row: OutboxRecordSource): Record<string, string> | null {
  const name = eventTypeName(row.eventType);
  if (name === null) return null;
  return {
    'event-id': row.eventId,
    'event-type': name,
    'content-type': ENVELOPE_CONTENT_TYPE,
    'schema-version': String(row.schemaVersion),
    ...(row.traceparent ? { traceparent: row.traceparent } : {}),
  };
}

/** The EventType name of a code, or null for UNSPECIFIED and unknown codes. */
function eventTypeName(code: number): string | null {
  if (code === EventType.EVENT_TYPE_UNSPECIFIED) return null;
  const name = (EventType as Record<number, string | undefined>)[code];
  return name && name !== 'UNRECOGNIZED' ? name : null;
}
