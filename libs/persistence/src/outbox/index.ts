/** The transactional outbox: written with each change (message-api), read and acknowledged by outbox-relay. */
export * from './event-envelope';
export * from './outbox-writer';
export * from './outbox-store';
export * from './outbox-listener';
