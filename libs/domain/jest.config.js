module.exports = {
  ...require('../../jest.preset.js').preset,
  displayName: 'domain',
  rootDir: __dirname,
};
