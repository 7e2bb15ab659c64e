module.exports = {
  ...require('../../jest.preset.js').preset,
  displayName: 'platform',
  rootDir: __dirname,
};
