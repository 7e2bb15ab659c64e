// Shared Jest settings: ts-jest in transpile-only mode (tsconfig isolatedModules; type errors are
// the typecheck target's job) and the tsconfig path aliases of the workspace libs.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

// tsconfig paths -> Jest module names; a `*` alias (e.g. @realchat/persistence/*) maps its
// segment into the target.
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  if (alias.endsWith('/*')) {
    moduleNameMapper[`^${alias.slice(0, -2)}/([a-z-]+)$`] = path.join(
      __dirname,
      target.replace('*', '$1'),
    );
  } else moduleNameMapper[`^${alias}$`] = path.join(__dirname, target);
}

const preset = {
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
 * (A function beside the preset, not a property of it: Jest warns about unknown options.)
 */
function integration(displayName, rootDir, testTimeout = 60_000) {
  return {
    ...preset,
    displayName,
    rootDir,
    globalSetup: path.join(__dirname, 'tools/infra/src/jest-global-setup.ts'),
    testTimeout,
  };
}

module.exports = { preset, integration };
