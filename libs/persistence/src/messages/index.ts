/** Messages and their sync reads: message-api's adapter. */
export * from './message-store';
