// Static checks of deploy/ (no servers): the preset's TypeScript transform and path aliases.
module.exports = {
  ...require('../jest.preset.js').preset,
  displayName: 'deploy',
  rootDir: __dirname,
};
