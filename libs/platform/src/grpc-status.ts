import { Metadata, status, StatusObject } from '@grpc/grpc-js';
import { DomainError, ErrorKind } from '@realchat/domain';
import { Any, BadRequest, ErrorInfo, RetryInfo, Status } from '@realchat/proto';

const CODE_OF_KIND: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
};

const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
/** google.rpc.ErrorInfo.domain of RealChat's errors. */
export const ERROR_INFO_DOMAIN = 'message.realchat';
const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The one mapping from errors to gRPC status. Domain errors keep their kind; field violations
 * travel as google.rpc.BadRequest in `grpc-status-details-bin` (the standard rich error model).
 * Anything else is a bug: INTERNAL with a generic message (never a stack trace).
 */
export function toStatus(e: unknown): Partial<StatusObject> & { code: status; internal: boolean } {
  if (!(e instanceof DomainError)) {
    return {
      code: status.INTERNAL,
      details: 'internal error',
      metadata: new Metadata(),
      internal: true,
    };
  }
  const code = CODE_OF_KIND[e.kind];
  const metadata = new Metadata();
  const details: Any[] = [];
  if (e.violations.length > 0) {
    const badRequest = BadRequest.encode({
      fieldViolations: e.violations.map((v) => ({ field: v.field, description: v.description })),
    }).finish();
    details.push(packAny(BAD_REQUEST_TYPE_URL, badRequest));
  }
  if (e.info) {
    const info = ErrorInfo.encode({
      reason: e.info.reason,
      domain: ERROR_INFO_DOMAIN,
      metadata: { ...e.info.metadata },
    }).finish();
    details.push(packAny(ERROR_INFO_TYPE_URL, info));
  }
  if (e.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(e.retryAfterMs));
    const retryInfo = RetryInfo.encode({
      retryDelay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 },
    }).finish();
    details.push(packAny(RETRY_INFO_TYPE_URL, retryInfo));
  }
  if (details.length > 0) {
    const encoded = Status.encode({ code, message: e.message, details }).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(encoded));
  }
  return { code, details: e.message, metadata, internal: false };
}

function packAny(typeUrl: string, bytes: Uint8Array): Any {
  return Any.fromPartial({ typeUrl, value: Buffer.from(bytes) });
}

/** The google.rpc.Status details of type `typeUrl` in an error's metadata. */
function statusDetails(metadata: Metadata | undefined, typeUrl: string): Any[] {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  const st = Status.decode(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  return st.details.filter((d) => d.typeUrl === typeUrl);
}

/** Reads the google.rpc.BadRequest field violations of an error status (for clients/tests). */
export function fieldViolationsOf(
  metadata: Metadata | undefined,
): { field: string; description: string }[] {
  return statusDetails(metadata, BAD_REQUEST_TYPE_URL).flatMap(
    (d) => BadRequest.decode(d.value).fieldViolations,
  );
}

/** Reads the google.rpc.ErrorInfo of an error status, if any (for clients/tests). */
export function errorInfoOf(
  metadata: Metadata | undefined,
): { reason: string; domain: string; metadata: Record<string, string> } | null {
  const [any] = statusDetails(metadata, ERROR_INFO_TYPE_URL);
  return any ? ErrorInfo.decode(any.value) : null;
}

/** The google.rpc.RetryInfo delay of an error status in milliseconds (for clients/tests). */
export function retryDelayMsOf(metadata: Metadata | undefined): number | undefined {
  const [info] = statusDetails(metadata, RETRY_INFO_TYPE_URL);
  if (!info) return undefined;
  const delay = RetryInfo.decode(info.value).retryDelay;
  return delay ? delay.seconds * 1000 + Math.round(delay.nanos / 1_000_000) : undefined;
}
