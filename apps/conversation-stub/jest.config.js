// Integration tests against real servers (see jest.preset.js).
module.exports = require('../../jest.preset.js').integration('conversation-stub', __dirname);
