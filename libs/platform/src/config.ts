import { maskUrlPasswords } from './redact';

/**
 * Typed configuration from environment variables, read once at start-up by main.ts.
 * Every variable is documented where it is declared; all invalid ones are reported together.
 */
export interface Var<T> {
  /** What it means (shown in errors; the README table says the same). */
  readonly doc: string;
  readonly parse: (raw: string) => T;
  /** Used when the variable is unset or empty; no default means required. */
  readonly default?: T;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Spec = Record<string, Var<unknown>>;
type Parsed<S extends Spec> = { [K in keyof S]: S[K] extends Var<infer T> ? T : never };

/** The configuration a spec parses to (e.g. `ConfigOf<typeof grpcLimitsConfigSpec>`). */
export type ConfigOf<S extends Spec> = Parsed<S>;

/**
 * Parses `env` against `spec`; throws one ConfigError naming every bad variable. `checks` are
 * rules across variables (e.g. AUTH_MODE=jwt needs JWT_ISSUER); they see the variables that
 * parsed, and their problems are reported with the others.
 */
export function loadConfig<S extends Spec>(
  spec: S,
  env: NodeJS.ProcessEnv,
  checks: ((parsed: Partial<Parsed<S>>) => string[])[] = [],
): Parsed<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (v.default === undefined) problems.push(`${name} is required (${v.doc})`);
      else out[name] = v.default;
      continue;
    }
    try {
      out[name] = v.parse(raw);
    } catch (e) {
      // The value is echoed to help, minus any URL password (config errors reach the logs).
      problems.push(
        `${name}=${JSON.stringify(maskUrlPasswords(raw))}: ${(e as Error).message} (${v.doc})`,
      );
    }
  }
  for (const check of checks) problems.push(...check(out as Partial<Parsed<S>>));
  if (problems.length) throw new ConfigError(problems);
  return out as Parsed<S>;
}

export const str = (doc: string, def?: string): Var<string> => ({
  doc,
  default: def,
  parse: (s) => s,
});

export const int = (
  doc: string,
  def: number | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): Var<number> => ({
  doc,
  default: def,
  parse: (s) => {
    if (!/^-?\d+$/.test(s.trim())) throw new Error('must be an integer');
    const n = Number(s);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  },
});

export const oneOf = <T extends string>(doc: string, values: readonly T[], def: T): Var<T> => ({
  doc,
  default: def,
  parse: (s) => {
    if (!values.includes(s as T)) throw new Error(`must be one of ${values.join(', ')}`);
    return s as T;
  },
});

export const url = (doc: string, protocols: string[], def?: string): Var<string> => ({
  doc,
  default: def,
  parse: (s) => {
    const u = new URL(s);
    if (!protocols.includes(u.protocol)) throw new Error(`must be a ${protocols.join(' or ')} URL`);
    return s;
  },
});

/** A comma-separated list of URLs of the given protocols; empty (the default) is none. */
export const urls = (doc: string, protocols: string[]): Var<string[]> => ({
  doc,
  default: [],
  parse: (s) =>
    s
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map((part) => {
        const u = new URL(part);
        if (!protocols.includes(u.protocol))
          throw new Error(`must be ${protocols.join(' or ')} URLs`);
        return part;
      }),
});

/** host:port, or a comma-separated list of them. */
export const hostPorts = (doc: string, def?: string): Var<string> => ({
  doc,
  default: def,
  parse: (s) => {
    for (const hp of s.split(',')) {
      if (!/^[^:,\s]+:\d{1,5}$/.test(hp.trim())) throw new Error(`"${hp}" is not host:port`);
    }
    return s;
  },
});

/** The host:port entries of a hostPorts value (brokers for a Kafka client). */
export function hostPortList(value: string): string[] {
  return value.split(',').map((hp) => hp.trim());
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** true/false (also 1/0, yes/no, on/off, any case). */
export const bool = (doc: string, def: boolean): Var<boolean> => ({
  doc,
  default: def,
  parse: (s) => {
    const v = s.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    throw new Error('must be true or false');
  },
});
