// Shared Jest settings: ts-jest in transpile-only mode (tsconfig isolatedModules; type errors are
// the typecheck target's job) and the tsconfig path aliases of the workspace libs.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    // CommonJS output: Jest's module registry cannot run native import(), which the generated
    // Prisma client uses for its query compiler.
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          ...compilerOptions,
          module: 'commonjs',
          moduleResolution: 'node',
          paths: undefined,
          baseUrl: undefined,
        },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['**/*.spec.ts'],
};
