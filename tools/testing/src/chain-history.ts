import { DeletionMode } from '@realchat/proto';
import type { DeletionRecord } from './chat-load';
import { query } from './database';
import type { ReceivedEvent } from './kafka-events';

/**
 * A conversation's change history as one line per change, in position order, built once from
 * the database and once from Kafka so that a test compares the two with one toEqual:
 *   "<position> sent <message id> by <sender>"
 *   "<position> deleted <message id> <soft|hard> of <message sequence>"
 */
export type History = string[];

const MODES: Record<number, string> = {
  [DeletionMode.DELETION_MODE_SOFT]: 'soft',
  [DeletionMode.DELETION_MODE_HARD]: 'hard',
};

const sentLine = (position: number, messageId: string, sender: string) =>
  `${position} sent ${messageId} by ${sender}`;
const deletedLine = (position: number, messageId: string, mode: string, of: number) =>
  `${position} deleted ${messageId} ${mode} of ${of}`;

/**
 * What the database says happened: every message at its sequence, every message's (latest)
 * deletion at its deletion_sequence, plus the soft deletions that a hard one replaced in the row
 * (`replaced`, recorded by the client), in position order.
 */
export async function databaseHistory(
  databaseUrl: string,
  conversationId: string,
  replaced: readonly DeletionRecord[] = [],
): Promise<History> {
  const rows = await query<{
    message_id: string;
    sender_user_id: string;
    sequence: string;
    deletion_sequence: string | null;
    deletion_mode: string | null;
  }>(
    databaseUrl,
    `SELECT message_id, sender_user_id, sequence, deletion_sequence, deletion_mode
     FROM messages WHERE conversation_id = $1`,
    [conversationId],
  );
  const changes: [number, string][] = [];
  for (const r of rows) {
    changes.push([
      Number(r.sequence),
      sentLine(Number(r.sequence), r.message_id, r.sender_user_id),
    ]);
    if (r.deletion_sequence !== null) {
      const at = Number(r.deletion_sequence);
      changes.push([at, deletedLine(at, r.message_id, r.deletion_mode ?? '?', Number(r.sequence))]);
    }
  }
  for (const d of replaced.filter((x) => x.conversationId === conversationId)) {
    changes.push([
      d.deletionSequence,
      deletedLine(d.deletionSequence, d.messageId, MODES[d.mode], d.messageSequence),
    ]);
  }
  return changes.sort((a, b) => a[0] - b[0]).map(([, line]) => line);
}

/**
 * What Kafka says happened, in the order the records of the conversation's key arrived, with
 * re-sends (same `event-id` header) dropped: at-least-once delivery allows them, consumers
 * deduplicate on that header.
 */
export function kafkaHistory(events: readonly ReceivedEvent[], conversationId: string): History {
  const seen = new Set<string>();
  const lines: History = [];
  for (const e of events) {
    if (e.key !== conversationId) continue;
    const id = e.headers['event-id'];
    if (seen.has(id)) continue;
    seen.add(id);
    if (e.sent?.message) {
      const m = e.sent.message;
      lines.push(
        m.conversationId === conversationId
          ? sentLine(m.sequence, m.messageId, m.senderUserId)
          : `${m.sequence} sent under the key of another conversation (${m.conversationId})`,
      );
    } else if (e.deleted) {
      const d = e.deleted;
      lines.push(
        d.conversationId === conversationId
          ? deletedLine(
              d.deletionSequence,
              d.messageId,
              MODES[d.mode] ?? `mode ${d.mode}`,
              d.messageSequence,
            )
          : `${d.deletionSequence} deleted under the key of another conversation (${d.conversationId})`,
      );
    } else {
      lines.push(`unknown event type ${e.envelope.eventType}`);
    }
  }
  return lines;
}
