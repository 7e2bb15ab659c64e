/** What went wrong, in terms a caller can act on. Mapped to gRPC status codes in one place. */
export type ErrorKind =
  | 'invalid-argument'
  | 'unauthenticated'
  | 'permission-denied'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'aborted'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'resource-exhausted';

/** One wrong field of a request (becomes a google.rpc.BadRequest field violation). */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** Machine-readable cause of an error (becomes a google.rpc.ErrorInfo). */
export interface ErrorInfo {
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Every expected failure of the domain and the use cases is a DomainError with a kind. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown; info?: ErrorInfo; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.info = options?.info ?? null;
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** Structured cause, when the caller can act on it (e.g. the current version). */
  readonly info: ErrorInfo | null;

  /** For resource-exhausted: how long the caller should wait before retrying. */
  readonly retryAfterMs?: number;

  static invalid(violations: readonly FieldViolation[]): DomainError {
    const summary = violations.map((v) => `${v.field}: ${v.description}`).join('; ');
    return new DomainError('invalid-argument', `invalid request: ${summary}`, violations);
  }

  static notFound(message: string): DomainError {
    return new DomainError('not-found', message);
  }

  static permissionDenied(message: string): DomainError {
    return new DomainError('permission-denied', message);
  }

  static failedPrecondition(message: string): DomainError {
    return new DomainError('failed-precondition', message);
  }

  static aborted(message: string, info: ErrorInfo): DomainError {
    return new DomainError('aborted', message, [], { info });
  }

  static deadlineExceeded(message: string, cause?: unknown): DomainError {
    return new DomainError('deadline-exceeded', message, [], { cause });
  }

  /** The caller is over a limit; it may retry after `retryAfterMs` (google.rpc.RetryInfo). */
  static resourceExhausted(message: string, retryAfterMs: number): DomainError {
    return new DomainError('resource-exhausted', message, [], { retryAfterMs });
  }

  static unavailable(message: string, cause?: unknown): DomainError {
    return new DomainError('unavailable', message, [], { cause });
  }
}

/** Collects field violations so that a request reports every problem at once. */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /** Throws one INVALID_ARGUMENT error naming every violation, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw DomainError.invalid(this.list);
  }
}
