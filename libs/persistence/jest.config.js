// Integration tests: real PostgreSQL (DATABASE_URL, else testcontainers, else the local one).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'persistence',
  rootDir: __dirname,
  globalSetup: '<rootDir>/../../tools/infra/src/jest-global-setup.ts',
  testTimeout: 30_000,
};
