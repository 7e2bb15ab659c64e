/** A point in time as google.protobuf.Timestamp holds it: nanos always in [0, 1e9). */
export interface Instant {
  readonly seconds: number;
  readonly nanos: number;
}

const ZERO = 48;
const SECONDS_PER_DAY = 86_400;

/**
 * Parses PostgreSQL's text output of a `timestamptz` in the ISO DateStyle (node-postgres and
 * PostgreSQL's default): `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]][ BC]`. The offset is the
 * session TimeZone's at that instant (any zone: `+05:30`, or `+00:53:28` for a historic local
 * mean time), so it is applied here rather than assumed to be UTC. Years may have more than four
 * digits. Pure arithmetic, no RegExp or Date: sync parses three of these per row, and pg's
 * default parser (postgres-date, a RegExp and a Date per value) was ~5% of message-api's CPU
 * in a sync profile.
 *
 * Throws on anything else (`infinity`, another DateStyle): the callers' columns hold only
 * instants the application wrote.
 */
export function parseTimestamptz(text: string): Instant {
  let i = 0;
  let year = 0;
  while (i < text.length && isDigit(text, i)) year = year * 10 + (text.charCodeAt(i++) - ZERO);
  if (i < 4 || text[i] !== '-') unexpected(text);
  const month = two(text, i + 1);
  const day = two(text, i + 4);
  const hour = two(text, i + 7);
  const minute = two(text, i + 10);
  const second = two(text, i + 13);
  if (
    text[i + 3] !== '-' ||
    text[i + 6] !== ' ' ||
    text[i + 9] !== ':' ||
    text[i + 12] !== ':' ||
    Number.isNaN(month + day + hour + minute + second)
  ) {
    unexpected(text);
  }
  i += 15;
  let nanos = 0;
  if (text[i] === '.') {
    i++;
    let scale = 100_000_000;
    const start = i;
    while (i < text.length && isDigit(text, i)) {
      nanos += (text.charCodeAt(i++) - ZERO) * scale;
      scale /= 10;
    }
    if (i === start || i - start > 9) unexpected(text);
  }
  const sign = text[i] === '+' ? 1 : text[i] === '-' ? -1 : unexpected(text);
  let offset = two(text, i + 1) * 3600;
  i += 3;
  if (text[i] === ':') {
    offset += two(text, i + 1) * 60;
    i += 3;
    if (text[i] === ':') {
      offset += two(text, i + 1);
      i += 3;
    }
  }
  if (text.length - i === 3 && text.endsWith(' BC')) {
    year = 1 - year; // 1 BC is year 0, 2 BC is -1 (astronomical numbering)
    i += 3;
  }
  if (i !== text.length || Number.isNaN(offset)) unexpected(text);
  const local = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60;
  return { seconds: local + second - sign * offset, nanos };
}

/** parseTimestamptz as a Date: milliseconds, finer digits dropped toward the past. */
export function timestamptzToDate(text: string): Date {
  const { seconds, nanos } = parseTimestamptz(text);
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}

function unexpected(text: string): never {
  throw new Error(`unexpected timestamptz text (not ISO DateStyle?): ${JSON.stringify(text)}`);
}

function isDigit(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= ZERO && c <= ZERO + 9;
}

/** The two digits at i, or NaN. */
function two(text: string, i: number): number {
  return isDigit(text, i) && isDigit(text, i + 1)
    ? (text.charCodeAt(i) - ZERO) * 10 + text.charCodeAt(i + 1) - ZERO
    : NaN;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), for
 * any year: Date.UTC would read years 0-99 as 1900-1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
