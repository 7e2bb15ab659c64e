import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { validateHistory, validateSync } from '@realchat/domain';
import { Client } from 'pg';
import { ShardLeases } from '../src/leases';
import { MessageStore } from '../src/messages';
import { OutboxListener, OutboxStore } from '../src/outbox';
import { FLEET_WIDE, isFleetWide, scopeViolations } from './statement-scope';
import { newMessage, testDatabase, uniqueId } from './support';

/**
 * Every statement the stores issue on `messages` and `outbox` is scoped to one conversation, or
 * to shards for the relay (statement-scope.ts has the rule, docs/scaling.md why). Checked twice:
 * on the statements captured from the pg client while every store method runs against a real
 * database, and on the SQL text in the library's source, so that a statement added later (and
 * not run here) is held to the rule as well.
 */

const SHARDS = 8;
const event = (conversationId: string) => ({
  eventId: randomUUID(),
  conversationId,
  eventType: 10,
  schemaVersion: 1,
  payload: new Uint8Array([1, 2, 3]),
});

describe('the scope rule', () => {
  it.each([
    ['SELECT * FROM messages WHERE conversation_id = $1 AND sequence > $2', []],
    ['UPDATE messages SET content = $2 WHERE message_id = $1', ['UPDATE messages']],
    ['SELECT max(sequence) FROM messages', ['FROM messages']],
    [
      // A conversation predicate in one subquery does not cover another.
      'SELECT (SELECT 1 FROM messages WHERE conversation_id = $1), (SELECT 2 FROM messages WHERE sequence = $2)',
      ['FROM messages'],
    ],
    ['INSERT INTO outbox (event_id, payload) VALUES ($1, $2)', ['INTO outbox']],
    ['INSERT INTO messages (message_id, conversation_id) VALUES ($1, $2)', []],
    ['SELECT id FROM outbox WHERE (key_hash % $1::int) = ANY($2::int[])', []],
    ['DELETE FROM outbox WHERE id = $1', ['FROM outbox']],
    ['SELECT * FROM outbox_dead_letters', []],
    ['LISTEN realchat_outbox', []],
  ])('%s', (sql, refs) => {
    expect(scopeViolations(sql).map((p) => p.split(':')[0])).toEqual(refs);
  });
});

describe('statements on messages and outbox', () => {
  const captured = new Set<string>();
  const original = Client.prototype.query;

  beforeAll(() => {
    // Every query of the library goes through pg's Client (the Pool checks Clients out).
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const [first] = args;
      const text = typeof first === 'string' ? first : (first as { text?: string })?.text;
      if (text) captured.add(text);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  });
  afterAll(() => {
    Client.prototype.query = original;
  });

  it('every store method, run against PostgreSQL, issues only scoped statements', async () => {
    const db = await testDatabase(4);
    try {
      const messages = new MessageStore(db);
      const c = uniqueId('scope');
      const [a, b] = [newMessage(c, 1, 'a', 'k1'), newMessage(c, 2, 'b')];
      await messages.inConversation(c, {}, async (tx) => {
        await tx.findByIdempotencyKeys([{ senderUserId: 'alice', idempotencyKey: 'k1' }]);
        await tx.insertMessages([
          { message: a, event: event(c) },
          { message: b, event: event(c) },
        ]);
        const toEdit = await tx.findMessage(b.props.id);
        await tx.saveEdit(
          toEdit!.edited('edited', '', { sequence: 4, editedAt: new Date() }),
          event(c),
        );
        const found = await tx.findMessage(a.props.id);
        await tx.saveDeletion(
          found!.deleted({
            sequence: 3,
            deletedAt: new Date(),
            mode: 'soft',
            actorUserId: 'alice',
          }),
          event(c),
        );
      });
      await messages.readSync(validateSync({ conversationId: c, afterSequence: 0, pageSize: 1 }));
      await messages.readSync(validateSync({ conversationId: c, afterSequence: 1, pageSize: 10 }));
      await messages.readHistory(
        validateHistory({ conversationId: c, beforeSequence: 0, pageSize: 1 }),
      );
      await messages.readHistory(
        validateHistory({ conversationId: c, beforeSequence: 2, pageSize: 9 }),
      );

      // The relay's statements: leases, pending rows, failures, parking, requeue, acknowledge.
      const replica = `scope-${randomUUID()}`;
      const leases = new ShardLeases(db, replica, SHARDS, 10_000);
      await leases.ensureShards();
      await leases.heartbeat();
      const held = await leases.acquire(SHARDS);
      await leases.renew();
      const outbox = new OutboxStore(db, SHARDS);
      const rows = (
        await outbox.pending(
          held.map((l) => l.shard),
          1000,
        )
      ).filter((r) => r.conversationId === c);
      expect(rows).toHaveLength(4); // two sends, an edit and a deletion
      // The relay's read ahead, which leaves out the rows in flight.
      const ahead = await outbox.pending(
        held.map((l) => l.shard),
        1000,
        [rows[0].id],
      );
      expect(ahead.some((r) => r.id === rows[0].id)).toBe(false);
      expect(await outbox.recordFailure(rows[0], 'poison')).toBe(1);
      await outbox.park(rows[0]);
      expect(await outbox.requeue([rows[0].id])).toBe(1);
      expect(
        await outbox.acknowledge(
          rows.map((r) => r.id),
          held,
          replica,
        ),
      ).toBe(4);
      await outbox.backlog();
      await outbox.ping();
      await leases.release(held.map((l) => l.shard));
      await leases.leave();

      const listener = new OutboxListener(new URL(process.env.DATABASE_URL!).toString());
      await listener.start(() => undefined);
      await listener.close();
    } finally {
      await db.close();
    }

    const touching = [...captured].filter((sql) => /\b(messages|outbox)\b(?![_.])/i.test(sql));
    // The capture saw the hot-path statements (a vacuous pass is not a pass).
    expect(touching.length).toBeGreaterThanOrEqual(8);
    const problems = touching
      .filter((sql) => !isFleetWide(sql))
      .flatMap((sql) => scopeViolations(sql).map((p) => `${p}\n  in: ${sql.trim().slice(0, 200)}`));
    expect(problems).toEqual([]);
    for (const f of FLEET_WIDE)
      expect([
        f.fragment,
        touching.some((sql) => isFleetWide(sql) && sql.replace(/\s+/g, ' ').includes(f.fragment)),
      ]).toEqual([f.fragment, true]);
  });

  it('every SQL text in the library source is scoped (statements not run above included)', () => {
    const root = path.resolve(__dirname, '../src');
    const files = walk(root).filter(
      (f) => f.endsWith('.ts') && !f.includes(`${path.sep}generated${path.sep}`),
    );
    const problems: string[] = [];
    let statements = 0;
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      for (const literal of source.match(/`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'/g) ?? []) {
        // The shard expression is built by one helper (shard-sql.ts); spell it out as SQL.
        const sql = literal.replace(
          /\$\{shardOfSql\('([^']+)',\s*'([^']+)'\)\}/g,
          (_, hash: string, count: string) => `(${hash} % ${count})`,
        );
        if (!/\b(FROM|JOIN|UPDATE|INTO)\s+(messages|outbox)\b(?![_.])/i.test(sql)) continue;
        statements++;
        if (isFleetWide(sql)) continue;
        for (const p of scopeViolations(sql)) {
          // A column list built by interpolation is checked on the captured statement above.
          if (/INTO (messages|outbox): /.test(p) && /INTO\s+\w+\s*\(\$\{/.test(sql)) continue;
          problems.push(`${path.relative(root, file)}: ${p}`);
        }
      }
    }
    expect(statements).toBeGreaterThanOrEqual(8);
    expect(problems).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}
