import {
  Authenticator,
  CallContext,
  Logger,
  TrustedHeaderAuthenticator,
  unary,
} from '@realchat/platform';
import type { MessageApiServer } from '@realchat/proto';
import type { DeleteMessage } from '../app/delete-message';
import type { EditMessage } from '../app/edit-message';
import type { ReadHistory } from '../app/read-history';
import type { SendMessage } from '../app/send-message';
import type { SyncMessages } from '../app/sync-messages';
import {
  fromDeleteRequest,
  fromEditRequest,
  fromHistoryRequest,
  fromSendRequest,
  fromSyncRequest,
  toHistoryResponse,
  toProtoDeletion,
  toProtoMessage,
  toSyncResponse,
} from './message-proto';

export interface UseCases {
  readonly send: SendMessage;
  readonly delete: DeleteMessage;
  readonly sync: SyncMessages;
  readonly history: ReadHistory;
  readonly edit: EditMessage;
}

/** realchat.message.v1.MessageApi: proto -> command -> proto, nothing else. */
export function messageApiHandlers(
  useCases: UseCases,
  logger: Logger,
  authenticator: Authenticator = new TrustedHeaderAuthenticator(),
): MessageApiServer {
  /** One authenticated method: request -> input, run the use case, result -> response. */
  const method = <Req, In, Out, Res>(
    name: string,
    useCase: { execute(input: In, ctx: CallContext): Promise<Out> },
    toInput: (req: Req) => In,
    toResponse: (out: Out) => Res,
  ) =>
    unary<Req, Res>(name, logger, async (req, ctx) => {
      // Who is calling comes first: a caller without x-user-id (or a valid token) learns nothing
      // about its request (UNAUTHENTICATED even when a field is also wrong; e.g. an unknown
      // deletion mode).
      const caller = await authenticator.authenticate(ctx);
      return toResponse(await useCase.execute(toInput(req), caller));
    });

  return {
    sendMessage: method('SendMessage', useCases.send, fromSendRequest, (m) => ({
      message: toProtoMessage(m),
    })),
    deleteMessage: method('DeleteMessage', useCases.delete, fromDeleteRequest, (d) => ({
      deletion: toProtoDeletion(d),
    })),
    syncMessages: method('SyncMessages', useCases.sync, fromSyncRequest, toSyncResponse),
    readHistory: method('ReadHistory', useCases.history, fromHistoryRequest, toHistoryResponse),
    editMessage: method('EditMessage', useCases.edit, fromEditRequest, (m) => ({
      message: toProtoMessage(m),
    })),
  };
}
