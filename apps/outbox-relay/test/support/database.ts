import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Database } from '@realchat/persistence';
import { writeOutboxEvent } from '@realchat/persistence/outbox';
import { createScratchDatabase } from '@realchat/persistence/testing';
import { EventEnvelope, EventType } from '@realchat/proto';

/**
 * A database of the test's own: shard leases and the outbox are shared by every relay of one
 * database, so each test that runs a relay gets a new one.
 */
export async function scratchDatabase(prefix = 'relay_unit'): Promise<Database> {
  const url = await createScratchDatabase(
    process.env.DATABASE_URL!,
    prefix,
    path.resolve(__dirname, '../../../../prisma/migrations'),
  );
  return new Database({ url, poolSize: 5 });
}

/** A valid EventEnvelope of `eventType`, its payload padded to `payloadBytes`. */
export function envelope(
  eventType = EventType.EVENT_TYPE_MESSAGE_SENT,
  payloadBytes = 1,
): Uint8Array {
  return EventEnvelope.encode({
    eventType,
    schemaVersion: 1,
    occurredAt: new Date(),
    payload: Buffer.alloc(payloadBytes, 'x'),
  }).finish();
}

/** Writes one outbox event the way message-api does; returns its event id. */
export async function enqueue(
  db: Database,
  conversationId: string,
  payload: Uint8Array,
  eventType: number = EventType.EVENT_TYPE_MESSAGE_SENT,
): Promise<string> {
  const eventId = randomUUID();
  await db.transaction((tx) =>
    writeOutboxEvent(tx, { eventId, conversationId, eventType, schemaVersion: 1, payload }),
  );
  return eventId;
}

/** Polls `condition` until it holds or `ms` passed; returns whether it held. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}
