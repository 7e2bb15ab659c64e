// The apps' own configuration specs: the manifests are checked against these, never against a
// copy. (deploy/ is the one place allowed to read app code: it describes how the apps run.)
/* eslint-disable @nx/enforce-module-boundaries */
import { conversationStubConfigSpec } from '../../apps/conversation-stub/src/config';
import { messageApiConfigSpec } from '../../apps/message-api/src/config';
import { relayConfigSpec } from '../../apps/outbox-relay/src/config';
/* eslint-enable @nx/enforce-module-boundaries */
import type { Var } from '@realchat/platform';

export type ConfigSpec = Record<string, Var<unknown>>;

/** What a manifest must agree with, per app. Variable names are those of docs ops-contract. */
export interface AppFacts {
  readonly spec: ConfigSpec;
  /** The gRPC port's variable (its default is the containerPort named `grpc`). */
  readonly grpcPortVar?: string;
  /** The HTTP port's variable (/metrics, /healthz, /readyz; containerPort `http`). */
  readonly httpPortVar: string;
  /** The grpc.health.v1 name that is SERVING while the app is ready. */
  readonly readinessService?: string;
}

export const APPS: Record<string, AppFacts> = {
  'message-api': {
    spec: messageApiConfigSpec,
    grpcPortVar: 'MESSAGE_API_PORT',
    httpPortVar: 'MESSAGE_API_HTTP_PORT',
    readinessService: 'realchat.message.v1.MessageApi',
  },
  'conversation-stub': {
    spec: conversationStubConfigSpec,
    grpcPortVar: 'CONVERSATION_STUB_PORT',
    httpPortVar: 'CONVERSATION_STUB_HTTP_PORT',
    readinessService: 'realchat.conversation.v1.ConversationApi',
  },
  'outbox-relay': { spec: relayConfigSpec, httpPortVar: 'RELAY_HTTP_PORT' },
};

/** The default of `name` in the app's spec; throws naming the variable when the app lacks it. */
export function specDefault(app: string, name: string): unknown {
  const v = APPS[app].spec[name];
  if (!v) {
    throw new Error(
      `${app}'s config spec (apps/${app}/src/config.ts) has no variable ${name}` +
        ' (docs ops-contract: the ops-health branch adds the HTTP port variables)',
    );
  }
  return v.default;
}
