// Integration tests against real PostgreSQL (see jest.preset.js).
module.exports = require('../../jest.preset.js').integration('persistence', __dirname, 30_000);
