// End-to-end tests: the built apps as separate processes against real PostgreSQL and Kafka.
module.exports = require('../../jest.preset.js').integration('e2e', __dirname, 120_000);
