/**
 * What must never reach a log line (developers' guide): message content and metadata, tokens
 * and passwords. Pino removes these keys wherever the code logs them by name (redact paths);
 * URL passwords are masked in any string, since URLs travel inside messages and errors.
 */
export const REDACTED_LOG_PATHS = [
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'content',
  '*.content',
  'metadataJson',
  '*.metadataJson',
  'metadata_json',
  '*.metadata_json',
];

// scheme://user:password@host -> scheme://user:***@host (also a bare ://:password@).
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']*):[^@\s"'/]*@/gi;

/** `s` with the password of every URL in it replaced by ***. */
export function maskUrlPasswords(s: string): string {
  return s.replace(URL_PASSWORD, '$1:***@');
}

/**
 * A log argument with URL passwords masked: strings, and the string fields of an object one
 * level down (e.g. { databaseUrl }, err.message). Other values pass unchanged.
 */
export function maskLogArgument(arg: unknown): unknown {
  if (typeof arg === 'string') return maskUrlPasswords(arg);
  if (arg instanceof Error) {
    const masked = maskUrlPasswords(arg.message);
    if (masked === arg.message) return arg;
    const copy = new Error(masked);
    copy.name = arg.name;
    copy.stack = arg.stack ? maskUrlPasswords(arg.stack) : undefined;
    return copy;
  }
  if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(arg)) {
      const m = typeof v === 'string' || v instanceof Error ? maskLogArgument(v) : v;
      if (m !== v) (out ??= { ...(arg as Record<string, unknown>) })[k] = m;
    }
    return out ?? arg;
  }
  return arg;
}
