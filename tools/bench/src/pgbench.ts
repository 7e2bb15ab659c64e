import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs pgbench with `script` against `databaseUrl`; returns transactions per second. */
export function pgbench(
  databaseUrl: string,
  script: string,
  clients: number,
  seconds: number,
): number {
  const url = new URL(databaseUrl);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgbench-')), 'script.sql');
  fs.writeFileSync(file, script);
  const out = execFileSync(
    'pgbench',
    [
      '-n',
      '-M',
      'prepared',
      '-f',
      file,
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, 2)),
      '-T',
      String(seconds),
      '-h',
      url.hostname,
      '-p',
      url.port,
      '-U',
      decodeURIComponent(url.username),
      url.pathname.slice(1),
    ],
    {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  if (!m) throw new Error(`unexpected pgbench output:\n${out}`);
  return Number(m[1]);
}

/** True when pgbench is installed (Debian: postgresql-client). */
export function hasPgbench(): boolean {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The SQL of one SendMessage as message-api and the conversation-stub run it: the sequence
 * UPDATE committed on its own, then one transaction with the conversation's advisory lock, the
 * idempotency lookup, the message INSERT, the outbox INSERT and pg_notify.
 */
export function sendMessageScript(conversations: number, prefix: string): string {
  return `\\set c random(1, ${conversations})
UPDATE stub_sequences SET last_sequence = last_sequence + 1 WHERE conversation_id = '${prefix}' || :c RETURNING last_sequence AS seq \\gset
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('${prefix}' || :c, 0));
SELECT message_id FROM messages WHERE conversation_id = '${prefix}' || :c AND sender_user_id = 'alice' AND idempotency_key = md5(random()::text);
INSERT INTO messages (message_id, conversation_id, sender_user_id, sequence, message_type, content, metadata_json, idempotency_key, payload_hash, sent_at)
  VALUES (gen_random_uuid(), '${prefix}' || :c, 'alice', :seq, 'text', 'hello from the benchmark', '', md5(random()::text), md5('x'), now());
INSERT INTO outbox (event_id, conversation_id, key_hash, event_type, schema_version, payload)
  VALUES (gen_random_uuid(), '${prefix}' || :c, 1, 10, 1, '\\x0a0b68656c6c6f');
SELECT pg_notify('realchat_outbox', '1');
COMMIT;
`;
}
