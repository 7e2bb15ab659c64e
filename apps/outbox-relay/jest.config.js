// Integration tests against real servers: PostgreSQL and Kafka as set up by the globalSetup.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'outbox-relay',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../tools/infra/src/jest-global-setup.ts',
  testTimeout: 60_000,
};
