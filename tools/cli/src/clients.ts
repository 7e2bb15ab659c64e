import { credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { ConversationApiClient, MessageApiClient } from '@realchat/proto';

/** Generated gRPC clients of the two APIs (addresses from the environment or the defaults). */
export function clients(env: NodeJS.ProcessEnv = process.env) {
  const insecure = credentials.createInsecure();
  return {
    messages: new MessageApiClient(env.MESSAGE_API_ADDR ?? '127.0.0.1:50051', insecure),
    conversations: new ConversationApiClient(
      env.CONVERSATION_API_ADDR ?? '127.0.0.1:50052',
      insecure,
    ),
  };
}

/** Metadata naming the acting user (`x-user-id`). */
export function as(userId: string): Metadata {
  const md = new Metadata();
  md.set('x-user-id', userId);
  return md;
}

/** Promisifies one unary call of a generated client. */
export function unary<Req, Res>(
  fn: (
    req: Req,
    md: Metadata,
    opts: { deadline: Date },
    cb: (e: ServiceError | null, r: Res) => void,
  ) => unknown,
  req: Req,
  md = new Metadata(),
  timeoutMs = 5000,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, md, { deadline: new Date(Date.now() + timeoutMs) }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}
