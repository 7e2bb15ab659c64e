import type { MessageLimits } from '@realchat/domain';
import {
  Authenticator,
  DEFAULT_MAX_RECEIVE_BYTES,
  GrpcLimits,
  GrpcServerMetrics,
  Logger,
  ServiceHealth,
  startGrpcServer,
} from '@realchat/platform';
import { MessageApiService } from '@realchat/proto';
import type { Server, ServerCredentials } from '@grpc/grpc-js';
import { messageApiHandlers, UseCases } from './message-api-handlers';

/** Room in a request for everything but content and metadata (ids, key, type, framing). */
const REQUEST_HEADROOM_BYTES = 64 * 1024;

/**
 * The largest request the server accepts: a send with content and metadata at their configured
 * maximums must fit, or it would be refused with RESOURCE_EXHAUSTED before validation could
 * accept it. Never below the platform default, so that oversized content up to it is still
 * answered INVALID_ARGUMENT with a field violation, as before.
 */
function maxRequestBytes(limits: MessageLimits): number {
  return Math.max(
    DEFAULT_MAX_RECEIVE_BYTES,
    limits.maxContentBytes + limits.maxMetadataBytes + REQUEST_HEADROOM_BYTES,
  );
}

/** Serves realchat.message.v1.MessageApi on host:port (0 picks a free port). */
export function startMessageApiServer(
  useCases: UseCases,
  options: {
    host: string;
    port: number;
    limits: MessageLimits;
    logger: Logger;
    health?: ServiceHealth;
    reflection?: boolean;
    metrics?: GrpcServerMetrics;
    /** Who the caller is (AUTH_MODE); trusted-header when unset. */
    authenticator?: Authenticator;
    grpcLimits?: GrpcLimits;
    credentials?: ServerCredentials;
  },
): Promise<{ server: Server; port: number }> {
  return startGrpcServer(
    MessageApiService,
    messageApiHandlers(useCases, options.logger, options.authenticator),
    options.host,
    options.port,
    {
      maxReceiveBytes: maxRequestBytes(options.limits),
      health: options.health,
      reflection: options.reflection,
      metrics: options.metrics,
      limits: options.grpcLimits,
      credentials: options.credentials,
    },
  );
}
