/** Messages and their sync reads: message-api's adapter. */
export * from './message-store';
export { SYNC_PAGE_SQL } from './sync-page';
export { HISTORY_PAGE_SQL } from './history-page';
export type { MessageRow } from './message-mapper';
