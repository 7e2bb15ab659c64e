import type { DeletionView, MessageView } from '@realchat/domain';
import { OutboxEventInput, wrapEvent } from '@realchat/persistence/outbox';
import {
  EventType,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageSentEvent,
} from '@realchat/proto';
import type { MessageEvents } from '../app/ports';
import { toProtoDeletionMode, toProtoMessageForEvent } from './message-proto';

/**
 * The use cases' events in the published contract (realchat.message.v1 events in the shared
 * envelope, which event-envelope.ts wraps): the same proto messages the API answers with.
 */
export const protoMessageEvents: MessageEvents = {
  /** EVENT_TYPE_MESSAGE_SENT carrying the full message. */
  messageSent(m: MessageView, traceparent?: string): OutboxEventInput {
    return wrapEvent({
      conversationId: m.conversationId,
      eventType: EventType.EVENT_TYPE_MESSAGE_SENT,
      occurredAt: m.sentAt,
      payload: MessageSentEvent.encode({ message: toProtoMessageForEvent(m) }).finish(),
      traceparent,
    });
  },

  /** EVENT_TYPE_MESSAGE_DELETED with the deletion's own sequence, so consumers can order it. */
  messageDeleted(
    conversationId: string,
    d: DeletionView,
    actorUserId: string,
    traceparent?: string,
  ): OutboxEventInput {
    return wrapEvent({
      conversationId,
      eventType: EventType.EVENT_TYPE_MESSAGE_DELETED,
      occurredAt: d.deletedAt,
      payload: MessageDeletedEvent.encode({
        conversationId,
        messageId: d.messageId,
        deletionSequence: d.deletionSequence,
        deletedAt: d.deletedAt,
        actorUserId,
        mode: toProtoDeletionMode(d.mode),
        messageSequence: d.messageSequence,
      }).finish(),
      traceparent,
    });
  },

  /** EVENT_TYPE_MESSAGE_EDITED carrying the message as edited (content, version, edit sequence). */
  messageEdited(m: MessageView, editorUserId: string, traceparent?: string): OutboxEventInput {
    return wrapEvent({
      conversationId: m.conversationId,
      eventType: EventType.EVENT_TYPE_MESSAGE_EDITED,
      occurredAt: m.editedAt ?? m.sentAt,
      payload: MessageEditedEvent.encode({
        message: toProtoMessageForEvent(m),
        editorUserId,
      }).finish(),
      traceparent,
    });
  },
};
