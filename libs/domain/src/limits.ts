/** Size limits of a message; configurable per deployment, validated by the domain. */
export interface MessageLimits {
  /** Maximum content size in UTF-8 bytes. */
  readonly maxContentBytes: number;
  /** Maximum metadata_json size in UTF-8 bytes. */
  readonly maxMetadataBytes: number;
}

export const DEFAULT_LIMITS: MessageLimits = {
  maxContentBytes: 16 * 1024,
  maxMetadataBytes: 4 * 1024,
};

/** Longest accepted idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** message_type: lowercase word such as `text`, `image`, `system.join` (empty means `text`). */
export const MESSAGE_TYPE_PATTERN = /^[a-z][a-z0-9_.-]{0,31}$/;
export const DEFAULT_MESSAGE_TYPE = 'text';
