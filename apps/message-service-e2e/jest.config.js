// End-to-end tests: the built apps as separate processes against real PostgreSQL and Kafka.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../tools/infra/src/jest-global-setup.ts',
  testTimeout: 120_000,
};
