import { Metadata, status, StatusObject } from '@grpc/grpc-js';
import { DomainError, ErrorKind } from '@realchat/domain';
import { Any, BadRequest, Status } from '@realchat/proto';

const CODE_OF_KIND: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
};

const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

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
  if (e.violations.length > 0) {
    const badRequest = BadRequest.encode({
      fieldViolations: e.violations.map((v) => ({ field: v.field, description: v.description })),
    }).finish();
    const details = Status.encode({
      code,
      message: e.message,
      details: [Any.fromPartial({ typeUrl: BAD_REQUEST_TYPE_URL, value: Buffer.from(badRequest) })],
    }).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(details));
  }
  return { code, details: e.message, metadata, internal: false };
}

/** Reads the google.rpc.BadRequest field violations of an error status (for clients/tests). */
export function fieldViolationsOf(
  metadata: Metadata | undefined,
): { field: string; description: string }[] {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  const st = Status.decode(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  return st.details
    .filter((d) => d.typeUrl === BAD_REQUEST_TYPE_URL)
    .flatMap((d) => BadRequest.decode(d.value).fieldViolations);
}
