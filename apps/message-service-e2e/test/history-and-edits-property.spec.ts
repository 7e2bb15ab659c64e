import { Message } from '@realchat/proto';
import fc from 'fast-check';
import {
  DeletionMode,
  freshDatabase,
  MessageApi,
  outboxMismatches,
  query,
  Stack,
  status,
} from '@realchat/testing';

/**
 * The guarantee of issue 11, as a property over random interleavings of sends, edits, soft and
 * hard deletes by three writers on two message-api instances: a client that syncs forward all
 * along, and one that opens at the newest, scrolls back and then stays in sync (the loops of
 * docs/sync-contract.md), both end with exactly the final state of every message; neither sees a
 * message twice in one pass, nor skips one.
 */

type Op =
  | { kind: 'send'; writer: number; api: number; text: string }
  | { kind: 'edit'; target: number; api: number; text: string; expect: boolean }
  | { kind: 'delete'; writer: number; target: number; api: number; hard: boolean };

/** What a client keeps of a message. */
interface Held {
  content: string;
  metadataJson: string;
  version: number;
  deleted: boolean;
}

const USERS = ['admin', 'alice', 'bob']; // admin is the conversation's ADMIN

/**
 * A client's copy of the conversation, applied as docs/sync-contract.md says: upsert by id, a
 * tombstone is final, otherwise the higher version wins; a deletion of a message not held yet is
 * remembered until the message arrives.
 */
class ClientState {
  readonly held = new Map<string, Held>();
  private readonly deletedEarly = new Set<string>();

  upsert(m: Message): void {
    const have = this.held.get(m.messageId);
    const deleted = m.deletedAt !== undefined || this.deletedEarly.has(m.messageId);
    const next: Held = {
      content: deleted ? '' : m.content,
      metadataJson: deleted ? '' : m.metadataJson,
      version: m.version,
      deleted,
    };
    if (!have || next.deleted || (!have.deleted && next.version >= have.version))
      this.held.set(m.messageId, next);
  }

  markDeleted(messageId: string): void {
    const have = this.held.get(messageId);
    if (have) this.held.set(messageId, { ...have, content: '', metadataJson: '', deleted: true });
    else this.deletedEarly.add(messageId);
  }
}

/** One pass of forward sync pages: every message id at most once, sequences ascending. */
class ForwardPass {
  readonly seen = new Set<string>();
  cursor: number;
  latest = 0;
  caughtUp = false;
  constructor(
    private readonly api: () => MessageApi,
    private readonly c: string,
    private readonly state: ClientState,
    from: number,
    private readonly pageSize: number,
  ) {
    this.cursor = from;
  }

  async step(): Promise<void> {
    const page = await this.api().sync('bob', {
      conversationId: this.c,
      afterSequence: this.cursor,
      pageSize: this.pageSize,
    });
    for (const m of page.messages) {
      if (this.seen.has(m.messageId)) throw new Error(`sync served ${m.messageId} twice`);
      if (m.sequence <= this.cursor) throw new Error(`sync served ${m.sequence} <= cursor`);
      this.seen.add(m.messageId);
      this.state.upsert(m);
    }
    for (const e of page.edits) this.state.upsert(e.message!);
    for (const d of page.deletions) this.state.markDeleted(d.messageId);
    if (page.nextAfterSequence < this.cursor) throw new Error('the sync cursor went back');
    this.cursor = page.nextAfterSequence;
    this.latest = page.latestSequence;
    this.caughtUp = !page.hasMore;
  }

  /** Pages until caught up with everything committed before the call. */
  async catchUp(): Promise<void> {
    // Bounded: a cursor that never reaches the latest position is a failure, not a hang.
    for (let calls = 0; calls < 1000; calls++) {
      await this.step();
      if (this.caughtUp && this.cursor >= this.latest) return;
    }
    throw new Error(`sync never caught up: cursor ${this.cursor}, latest ${this.latest}`);
  }
}

describe('history and edits under concurrent writers (property-based, two instances)', () => {
  let stack: Stack;
  let db: string;

  beforeAll(async () => {
    db = await freshDatabase('e2e_histprop');
    stack = await Stack.start({ databaseUrl: db, messageApis: 2 });
  });
  afterAll(() => stack?.stop());

  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('send' as const),
        writer: fc.nat(2),
        api: fc.nat(1),
        text: fc
          .string({ minLength: 1, maxLength: 8 })
          .filter((s) => s.trim() !== '' && !s.includes('\u0000')),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('edit' as const),
        target: fc.nat(),
        api: fc.nat(1),
        text: fc.constantFrom('x', 'y', 'z'),
        expect: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('delete' as const),
        writer: fc.nat(2),
        target: fc.nat(),
        api: fc.nat(1),
        hard: fc.boolean(),
      }),
    },
  );

  it('both clients end with the final state of every message, no duplicates, no gaps', async () => {
    const exercised = { edits: 0, deletes: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 3, maxLength: 10 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 6 }),
        async (lanes, pageSize, historyStartsAfter) => {
          const c = (await stack.conversationApi().create(USERS)).conversation!.conversationId;
          const api = (i: number) => stack.messageApi(i);
          const sent: { id: string; sender: string }[] = [];
          const acked = new Map<string, { version: number; content: string; deleted: boolean }>();
          let done = 0;

          /** Each lane is one writer's sequence of calls; lanes run concurrently. */
          const runLane = async (ops: Op[]) => {
            for (const o of ops) {
              if (o.kind === 'send') {
                const sender = USERS[o.writer];
                const m = (
                  await api(o.api).send(sender, {
                    conversationId: c,
                    senderUserId: sender,
                    content: o.text,
                  })
                ).message!;
                sent.push({ id: m.messageId, sender });
                acked.set(m.messageId, { version: 1, content: m.content, deleted: false });
                continue;
              }
              if (sent.length === 0) continue;
              const t = sent[o.target % sent.length];
              try {
                if (o.kind === 'edit') {
                  const now = acked.get(t.id)!;
                  const m = (
                    await api(o.api).edit(t.sender, {
                      conversationId: c,
                      messageId: t.id,
                      editorUserId: t.sender,
                      content: `${o.text}${now.version}`,
                      expectedVersion: o.expect ? now.version : 0,
                    })
                  ).message!;
                  const a = acked.get(t.id)!;
                  if (m.version > a.version)
                    acked.set(t.id, { ...a, version: m.version, content: m.content });
                } else {
                  const actor = USERS[o.writer];
                  await api(o.api).delete(actor, {
                    conversationId: c,
                    messageId: t.id,
                    actorUserId: actor,
                    mode: o.hard
                      ? DeletionMode.DELETION_MODE_HARD
                      : DeletionMode.DELETION_MODE_SOFT,
                  });
                  acked.set(t.id, { ...acked.get(t.id)!, deleted: true });
                }
              } catch (e) {
                const code = (e as { code?: number }).code;
                // Refusals the contract gives: a non-sender non-ADMIN delete, an edit of a
                // message deleted meanwhile, an expected version another lane overtook.
                if (
                  code !== status.PERMISSION_DENIED &&
                  code !== status.FAILED_PRECONDITION &&
                  code !== status.ABORTED
                )
                  throw e;
              }
            }
            done++;
          };

          const forwardState = new ClientState();
          const forward = new ForwardPass(() => api(0), c, forwardState, 0, pageSize);
          const historyState = new ClientState();
          let historyOrder: string[] = [];
          let afterOpen: ForwardPass | null = null;

          /** Syncs forward all along, while the writers write. */
          const forwardClient = async () => {
            while (done < lanes.length) await forward.step();
            await forward.catchUp();
          };
          /** Opens at the newest once some writes happened, scrolls back, stays in sync. */
          const historyClient = async () => {
            while (sent.length < historyStartsAfter && done < lanes.length)
              await new Promise((r) => setImmediate(r));
            const first = await api(1).history('bob', { conversationId: c, pageSize });
            afterOpen = new ForwardPass(
              () => api(1),
              c,
              historyState,
              first.latestSequence,
              pageSize,
            );
            const take = (ms: Message[]) => {
              for (const m of ms) {
                if (historyOrder.includes(m.messageId))
                  throw new Error(`history served ${m.messageId} twice`);
                historyOrder.push(m.messageId);
                historyState.upsert(m);
              }
            };
            take(first.messages);
            let older = first.hasOlder;
            let before = first.nextBeforeSequence;
            // Alternate: one page back, one page forward, as a client on screen would.
            while (older) {
              const page = await api(1).history('bob', {
                conversationId: c,
                beforeSequence: before,
                pageSize,
              });
              take(page.messages);
              older = page.hasOlder;
              before = page.nextBeforeSequence;
              await afterOpen.step();
            }
            while (done < lanes.length) await afterOpen.step();
            await afterOpen.catchUp();
          };

          await Promise.all([...lanes.map(runLane), forwardClient(), historyClient()]);

          // The truth: what the database holds now, as a client must see it.
          const rows = await query<{
            message_id: string;
            content: string | null;
            metadata_json: string | null;
            version: string;
            deleted_at: Date | null;
          }>(
            db,
            'SELECT message_id, content, metadata_json, version, deleted_at FROM messages WHERE conversation_id = $1',
            [c],
          );
          const truth = new Map(
            rows.map((r) => [
              r.message_id,
              {
                content: r.deleted_at ? '' : r.content!,
                metadataJson: r.deleted_at ? '' : r.metadata_json!,
                version: Number(r.version),
                deleted: r.deleted_at !== null,
              },
            ]),
          );
          // The acknowledged writes agree with it (every OK answer is in the final state).
          for (const [id, a] of acked) {
            expect([id, truth.get(id)!.version >= a.version]).toEqual([id, true]);
            if (a.deleted) expect([id, truth.get(id)!.deleted]).toEqual([id, true]);
            if (a.version > 1) exercised.edits++;
            if (a.deleted) exercised.deletes++;
          }
          const sorted = (m: Map<string, Held>) => [...m].sort(([a], [b]) => a.localeCompare(b));
          expect(sorted(forwardState.held)).toEqual(sorted(truth));
          expect(sorted(historyState.held)).toEqual(sorted(truth));
          // One pass each: forward saw every message once; scroll-back and the forward sync
          // after opening split the messages between them, none in both.
          expect(forward.seen.size).toBe(truth.size);
          const both = historyOrder.filter((id) => afterOpen!.seen.has(id));
          expect(both).toEqual([]);
          expect(historyOrder.length + afterOpen!.seen.size).toBe(truth.size);
          historyOrder = [];
        },
      ),
      { numRuns: Number(process.env.HISTORY_PROPERTY_RUNS ?? 12) },
    );
    // The runs did edit and delete (a property over sends only would prove little).
    expect(exercised.edits).toBeGreaterThan(0);
    expect(exercised.deletes).toBeGreaterThan(0);
    // Nothing half-written: each change has exactly its outbox event.
    expect(await outboxMismatches(db)).toEqual([]);
  });
});
