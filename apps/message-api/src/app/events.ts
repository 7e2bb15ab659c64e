import { randomUUID } from 'node:crypto';
import type { DeletionView, MessageView } from '@realchat/domain';
import type { OutboxEventInput } from '@realchat/persistence/outbox';
import { EventEnvelope, EventType, MessageDeletedEvent, MessageSentEvent } from '@realchat/proto';
import { toProtoDeletionMode, toProtoMessage } from './message-proto';

/** Version of the payload schemas below; consumers may branch on the `schema-version` header. */
export const SCHEMA_VERSION = 1;

function envelope(
  conversationId: string,
  eventType: EventType,
  occurredAt: Date,
  payload: Uint8Array,
  traceparent?: string,
): OutboxEventInput {
  const bytes = EventEnvelope.encode({
    eventType,
    schemaVersion: SCHEMA_VERSION,
    occurredAt,
    payload: Buffer.from(payload),
  }).finish();
  return {
    eventId: randomUUID(),
    conversationId,
    eventType,
    schemaVersion: SCHEMA_VERSION,
    payload: bytes,
    traceparent,
  };
}

/** EVENT_TYPE_MESSAGE_SENT carrying the full message. */
export function messageSentEvent(m: MessageView, traceparent?: string): OutboxEventInput {
  const payload = MessageSentEvent.encode({ message: toProtoMessage(m) }).finish();
  return envelope(
    m.conversationId,
    EventType.EVENT_TYPE_MESSAGE_SENT,
    m.sentAt,
    payload,
    traceparent,
  );
}

/** EVENT_TYPE_MESSAGE_DELETED with the deletion's own sequence, so consumers can order it. */
export function messageDeletedEvent(
  conversationId: string,
  d: DeletionView,
  actorUserId: string,
  traceparent?: string,
): OutboxEventInput {
  const payload = MessageDeletedEvent.encode({
    conversationId,
    messageId: d.messageId,
    deletionSequence: d.deletionSequence,
    deletedAt: d.deletedAt,
    actorUserId,
    mode: toProtoDeletionMode(d.mode),
    messageSequence: d.messageSequence,
  }).finish();
  return envelope(
    conversationId,
    EventType.EVENT_TYPE_MESSAGE_DELETED,
    d.deletedAt,
    payload,
    traceparent,
  );
}
