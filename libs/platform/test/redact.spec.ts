import { Writable } from 'node:stream';
import { createLogger, maskUrlPasswords } from '../src';

/** What a service logger writes, as text, for `log(logger)`. */
function written(log: (logger: ReturnType<typeof createLogger>) => void): string {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  log(createLogger('test', 'trace', sink));
  return lines.join('');
}

describe('log redaction', () => {
  const secret = 'S3cr3t-p@ss';
  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

  it.each([
    ['a token in authorization', { authorization: `Bearer ${token}` }],
    ['metadata with authorization', { metadata: { authorization: `Bearer ${token}` } }],
    ['a token field', { token }],
    ['message content', { content: `hello ${secret}` }],
    ['message metadata', { message: { metadataJson: `{"k":"${secret}"}` } }],
    ['a password field', { db: { password: secret } }],
  ])('redacts %s', (_, fields) => {
    const out = written((l) => l.info(fields, 'a line'));
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(secret);
    expect(out).not.toContain(token);
  });

  it('masks URL passwords in fields, messages and errors', () => {
    const url = `postgresql://app:${encodeURIComponent(secret)}@db:5432/realchat`;
    const out = written((l) => {
      l.info({ databaseUrl: url }, 'config');
      l.warn(`cannot reach ${url}`);
      l.error({ err: new Error(`connect ${url} failed`) }, 'failed');
    });
    expect(out).not.toContain(encodeURIComponent(secret));
    const lines = out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toContain('app:***@db');
  });

  it.each([
    ['postgresql://u:pw@h/db', 'postgresql://u:***@h/db'],
    ['kafka+ssl://:pw@h:9093', 'kafka+ssl://:***@h:9093'],
    ['https://h/path?x=a:b@c', 'https://h/path?x=a:b@c'],
    ['no url here: a:b@c', 'no url here: a:b@c'],
  ])('maskUrlPasswords(%s)', (input, expected) => {
    expect(maskUrlPasswords(input)).toBe(expected);
  });
});
