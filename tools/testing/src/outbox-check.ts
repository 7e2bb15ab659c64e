import {
  DeletionMode,
  EventEnvelope,
  EventType,
  MessageDeletedEvent,
  MessageEditedEvent,
  MessageSentEvent,
} from '@realchat/proto';
import type { MessageRow } from '@realchat/persistence/messages';
import { query } from './database';

/** The columns of a stored message that its events repeat. */
type CheckedColumns = Pick<
  MessageRow,
  | 'message_id'
  | 'conversation_id'
  | 'sender_user_id'
  | 'sequence'
  | 'message_type'
  | 'content'
  | 'metadata_json'
  | 'deletion_sequence'
  | 'deletion_mode'
  | 'deleted_by'
  | 'version'
  | 'edit_sequence'
>;

/**
 * Compares the messages of `databaseUrl` (of one conversation, or all) with their outbox events
 * (for tests without a relay, where every event is still in the outbox): each message has
 * exactly one MESSAGE_SENT event that carries that message (id, sequence, sender, type, and its
 * content unless a hard delete erased it); its current deletion has a MESSAGE_DELETED event with
 * the same number, mode and actor; an edited message has one MESSAGE_EDITED event per edit, the
 * latest with its edit number, version and current content; and no event exists without the change it announces. Returns
 * the problems found (none when changes and events agree).
 */
export async function outboxMismatches(
  databaseUrl: string,
  conversationId?: string,
): Promise<string[]> {
  const where = conversationId === undefined ? '' : 'WHERE conversation_id = $1';
  const params = conversationId === undefined ? [] : [conversationId];
  const messages = await query<CheckedColumns>(
    databaseUrl,
    `SELECT message_id, conversation_id, sender_user_id, sequence, message_type, content,
            metadata_json, deletion_sequence, deletion_mode, deleted_by, version, edit_sequence
       FROM messages ${where}`,
    params,
  );
  const events = await query<{ conversation_id: string; event_type: number; payload: Buffer }>(
    databaseUrl,
    `SELECT conversation_id, event_type, payload FROM outbox ${where} ORDER BY id`,
    params,
  );
  const problems: string[] = [];
  const sent = new Map<string, MessageSentEvent[]>();
  const deleted = new Map<string, MessageDeletedEvent[]>();
  const edited = new Map<string, MessageEditedEvent[]>();
  for (const e of events) {
    const envelope = EventEnvelope.decode(e.payload);
    if (envelope.eventType !== e.event_type)
      problems.push(`outbox event_type ${e.event_type} but envelope says ${envelope.eventType}`);
    if (envelope.eventType === EventType.EVENT_TYPE_MESSAGE_SENT) {
      const s = MessageSentEvent.decode(envelope.payload);
      const id = s.message?.messageId ?? '';
      sent.set(id, [...(sent.get(id) ?? []), s]);
    } else if (envelope.eventType === EventType.EVENT_TYPE_MESSAGE_DELETED) {
      const d = MessageDeletedEvent.decode(envelope.payload);
      deleted.set(d.messageId, [...(deleted.get(d.messageId) ?? []), d]);
    } else if (envelope.eventType === EventType.EVENT_TYPE_MESSAGE_EDITED) {
      const x = MessageEditedEvent.decode(envelope.payload);
      const id = x.message?.messageId ?? '';
      edited.set(id, [...(edited.get(id) ?? []), x]);
    } else problems.push(`unexpected event type ${envelope.eventType}`);
  }

  const known = new Set(messages.map((m) => m.message_id));
  for (const id of [...sent.keys(), ...deleted.keys(), ...edited.keys()])
    if (!known.has(id)) problems.push(`event for message ${id}, which does not exist`);

  for (const m of messages) {
    const x = edited.get(m.message_id) ?? [];
    // The send's event carries the content as sent; after an edit only the latest
    // MESSAGE_EDITED carries the row's content.
    const unedited = m.edit_sequence === null;
    if (x.length !== Number(m.version) - 1) {
      problems.push(`message ${m.message_id} is at version ${m.version} with ${x.length} edits`);
    } else if (!unedited) {
      const last = x.at(-1)!.message!;
      const expected = {
        editSequence: Number(m.edit_sequence),
        version: Number(m.version),
        ...(m.content === null ? {} : { content: m.content, metadataJson: m.metadata_json }),
      };
      const actual = {
        editSequence: last.editSequence,
        version: last.version,
        ...(m.content === null ? {} : { content: last.content, metadataJson: last.metadataJson }),
      };
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        problems.push(
          `MESSAGE_EDITED of ${m.message_id}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`,
        );
    }
    const s = sent.get(m.message_id) ?? [];
    if (s.length !== 1) {
      problems.push(`message ${m.message_id} (${m.sequence}) has ${s.length} MESSAGE_SENT events`);
    } else {
      const e = s[0].message!;
      const expected = {
        conversationId: m.conversation_id,
        senderUserId: m.sender_user_id,
        sequence: Number(m.sequence),
        messageType: m.message_type,
        // A hard delete erases the row's content; the event announced it before that.
        ...(m.content === null || !unedited
          ? {}
          : { content: m.content, metadataJson: m.metadata_json }),
      };
      const actual = {
        conversationId: e.conversationId,
        senderUserId: e.senderUserId,
        sequence: e.sequence,
        messageType: e.messageType,
        ...(m.content === null || !unedited
          ? {}
          : { content: e.content, metadataJson: e.metadataJson }),
      };
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        problems.push(
          `MESSAGE_SENT of ${m.message_id}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`,
        );
    }
    const d = deleted.get(m.message_id) ?? [];
    if (m.deletion_sequence === null) {
      if (d.length > 0)
        problems.push(`message ${m.message_id} is not deleted but has a MESSAGE_DELETED event`);
      continue;
    }
    const mode =
      m.deletion_mode === 'hard'
        ? DeletionMode.DELETION_MODE_HARD
        : DeletionMode.DELETION_MODE_SOFT;
    const match = d.find((x) => x.deletionSequence === Number(m.deletion_sequence));
    if (!match) {
      problems.push(
        `deletion ${m.deletion_sequence} of ${m.message_id} has no MESSAGE_DELETED event`,
      );
    } else if (
      match.mode !== mode ||
      match.actorUserId !== m.deleted_by ||
      match.messageSequence !== Number(m.sequence) ||
      match.conversationId !== m.conversation_id
    ) {
      problems.push(
        `MESSAGE_DELETED of ${m.message_id} does not match its deletion: ${JSON.stringify(match)}`,
      );
    }
  }
  return problems;
}
