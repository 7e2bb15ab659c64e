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

/**
 * Settings of a project whose tests need real PostgreSQL and Kafka: the globalSetup provides them
 * (DATABASE_URL / KAFKA_BROKERS, else testcontainers, else the local ones) and migrates.
 */
module.exports.integration = (displayName, rootDir, testTimeout = 60_000) => ({
  ...module.exports,
  displayName,
  rootDir,
  globalSetup: path.join(__dirname, 'tools/infra/src/jest-global-setup.ts'),
  testTimeout,
});
