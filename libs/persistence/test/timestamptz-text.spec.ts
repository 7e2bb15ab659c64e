import { Client } from 'pg';
import { parseTimestamptz, timestamptzToDate } from '../src/messages/timestamptz-text';

// Expected values computed independently: Date.parse of an ISO 8601 string (years 0-9999),
// or seconds written out by hand beyond that.
const secondsOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('parseTimestamptz (PostgreSQL ISO DateStyle text)', () => {
  it.each([
    ['2026-11-26 01:43:07.123+00', secondsOf('2026-11-26T01:43:07Z'), 123_000_000],
    ['2026-11-26 01:43:07+00', secondsOf('2026-11-26T01:43:07Z'), 0],
    ['2026-11-26 07:13:07.5+05:30', secondsOf('2026-11-26T01:43:07Z'), 500_000_000],
    ['2026-11-25 17:43:07.000001-08', secondsOf('2026-11-26T01:43:07Z'), 1_000],
    ['2026-11-26 01:43:07.123456+00', secondsOf('2026-11-26T01:43:07Z'), 123_456_000],
    ['2026-03-29 03:30:00+02', secondsOf('2026-03-29T01:30:00Z'), 0], // just after a DST change
    ['1850-01-01 00:17:30+00:17:30', secondsOf('1850-01-01T00:00:00Z'), 0], // local mean time
    ['1970-01-01 00:00:00+00', 0, 0],
    ['1969-12-31 23:59:59.999+00', -1, 999_000_000], // before 1970: nanos stay positive
    ['1900-02-28 23:00:00-01', secondsOf('1900-03-01T00:00:00Z'), 0], // 1900 is no leap year
    ['2000-02-29 12:00:00+00', secondsOf('2000-02-29T12:00:00Z'), 0],
    ['0099-06-01 00:00:00+00', secondsOf('0099-06-01T00:00:00Z'), 0], // not read as 1999
    ['9999-12-31 23:59:59.999+00', secondsOf('9999-12-31T23:59:59Z'), 999_000_000],
    ['10000-01-01 00:00:00+00', 253_402_300_800, 0],
    ['294276-12-31 23:59:59.999999+00', 9_224_318_015_999, 999_999_000],
    ['0001-01-01 00:00:00+00 BC', secondsOf('0000-01-01T00:00:00Z'), 0],
  ])('%s', (text, seconds, nanos) => {
    expect(parseTimestamptz(text)).toEqual({ seconds, nanos });
  });

  it('gives the Date with milliseconds, finer digits dropped toward the past', () => {
    expect(timestamptzToDate('2026-11-26 07:13:07.1239+05:30')).toEqual(
      new Date('2026-11-26T01:43:07.123Z'),
    );
    expect(timestamptzToDate('1969-12-31 23:59:59.9999+00').getTime()).toBe(-1);
  });

  it.each([
    'infinity',
    '-infinity',
    '11/26/2026 01:43:07.123 UTC', // DateStyle SQL
    'Thu Nov 26 01:43:07.123 2026 UTC', // DateStyle Postgres
    '2026-11-26 01:43:07.123',
    '2026-11-26T01:43:07.123Z',
    '2026-11-26 01:43:07.+00',
  ])('refuses %j', (text) => {
    expect(() => parseTimestamptz(text)).toThrow(/unexpected timestamptz text/);
  });
});

describe('parseTimestamptz against PostgreSQL', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  });
  afterAll(() => client.end());

  // Instants around 1970, DST changes, centuries and far years, each printed by the server in
  // several session time zones (whole-hour, half-hour, negative, and local mean time offsets).
  it.each(['UTC', 'Asia/Kolkata', 'America/Los_Angeles', 'Europe/Amsterdam', 'Asia/Kathmandu'])(
    'reads what the server prints in TimeZone %s',
    async (zone) => {
      await client.query(`SET TimeZone = '${zone}'`);
      const { rows } = await client.query<{ text: string; seconds: string; nanos: string }>(
        `SELECT t::text AS text, floor(extract(epoch FROM t))::int8::text AS seconds,
                ((extract(epoch FROM t) - floor(extract(epoch FROM t))) * 1e9)::int8::text AS nanos
         FROM unnest($1::timestamptz[]) AS t`,
        [
          [
            '1969-12-31 23:59:59.999999+00',
            '1970-01-01 00:00:00+00',
            '1850-06-01 12:00:00.5+00',
            '1901-12-13 20:45:52+00',
            '2026-03-29 01:30:00.25+00',
            '2026-10-25 00:59:59.123+00',
            '2026-11-26 01:43:07.123456+00',
            '2262-04-11 23:47:16.854775+00',
            '20000-01-01 00:00:00+00',
          ],
        ],
      );
      for (const r of rows) {
        expect([r.text, parseTimestamptz(r.text)]).toEqual([
          r.text,
          { seconds: Number(r.seconds), nanos: Number(r.nanos) },
        ]);
      }
    },
  );
});
