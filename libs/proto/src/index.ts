/**
 * The RealChat contracts as TypeScript, generated from proto/ by buf + ts-proto
 * (`npx nx run proto:generate`). Nothing here is written by hand except this index.
 */
export * from './gen/google/protobuf/timestamp';
export * from './gen/google/protobuf/any';
export * from './gen/google/protobuf/duration';
export * from './gen/google/rpc/status';
export * from './gen/google/rpc/error_details';
export * from './gen/realchat/shared/v1/envelope';
export * from './gen/realchat/message/v1/message';
export * from './gen/realchat/message/v1/message_api';
export * from './gen/realchat/message/v1/events';
export * from './gen/realchat/conversation/v1/conversation_api';
export * from './gen/realchat/conversation/v1/events';
export * from './gen/descriptor-set';
