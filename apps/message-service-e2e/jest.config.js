// End-to-end tests: the built apps as separate processes against real PostgreSQL and Kafka.
// The setup stops what a test leaves running and fails a test on an unexpected app error line.
const path = require('node:path');
const { integration } = require('../../jest.preset.js');

module.exports = {
  ...integration('e2e', __dirname, 120_000),
  setupFilesAfterEnv: [path.join(__dirname, '../../tools/testing/src/jest-setup.ts')],
};
