/** Test-only helpers: never imported by production code (lint enforces it). */
export * from './scratch-database';
