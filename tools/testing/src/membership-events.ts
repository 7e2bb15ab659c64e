/** What message-api logs when its MEMBERSHIP_CHANGED events become live (docs/membership-cache.md). */
export const MEMBERSHIP_EVENTS_LIVE_LOG =
  'membership events live: members cached until a change evicts them';
