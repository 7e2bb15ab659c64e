import { conversationHash } from '@realchat/domain';
import type { Prisma } from './generated/prisma/client';

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

/** NOTIFY channel that wakes relays as soon as an outbox row commits. */
export const OUTBOX_CHANNEL = 'realchat_outbox';

/**
 * Inserts the event and notifies relays. The NOTIFY is transactional: it is delivered when (and
 * only if) the transaction commits, so a relay never wakes up for a row it cannot see yet.
 */
export async function writeOutboxEvent(
  tx: Prisma.TransactionClient,
  event: OutboxEventInput,
): Promise<void> {
  const keyHash = conversationHash(event.conversationId);
  await tx.outboxEvent.create({
    data: {
      eventId: event.eventId,
      conversationId: event.conversationId,
      keyHash,
      eventType: event.eventType,
      schemaVersion: event.schemaVersion,
      payload: Buffer.from(event.payload),
      traceparent: event.traceparent ?? null,
    },
  });
  await tx.$executeRaw`SELECT pg_notify(${OUTBOX_CHANNEL}, ${String(keyHash)})`;
}
