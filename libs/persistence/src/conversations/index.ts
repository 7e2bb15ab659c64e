/** The conversation-stub's conversations, participants and sequence counters. */
export * from './conversation-store';
