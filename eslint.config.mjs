// ESLint (flat config): typescript-eslint for correctness, Nx module boundaries for architecture.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// What apps may use: every lib, never another app.
const LIBS = ['type:domain', 'type:persistence', 'type:proto', 'type:platform'];

const IO_PACKAGES = [
  '@prisma/*',
  '@prisma/client',
  'kafkajs',
  '@grpc/*',
  'pg',
  'pino',
  'prom-client',
];

const PERSISTENCE_ENTRIES = ['messages', 'outbox', 'leases', 'conversations', 'testing'];

/** Lint block: files matching `files` may import only the `owned` sub-paths of persistence. */
function ownedPersistence(files, owned, { ignores = [], bannedPackages = [] } = {}) {
  const banned = PERSISTENCE_ENTRIES.filter((e) => !owned.includes(e));
  return [
    {
      files: [files],
      ignores,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: banned.map((e) => `@realchat/persistence/${e}`),
                message: 'This persistence entry point belongs to another app (or to tests only).',
              },
              {
                group: ['@realchat/testing', '@realchat/persistence/src/*', '@realchat/*/src/*'],
                message: 'Production code imports libs by their entry points, never test helpers.',
              },
              ...(bannedPackages.length
                ? [
                    {
                      group: bannedPackages,
                      message: 'Only the adapter behind its port may use this package.',
                    },
                  ]
                : []),
            ],
          },
        ],
      },
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.nx/**',
      '**/.cache/**',
      'libs/proto/src/gen/**',
      'libs/persistence/src/generated/**',
      '**/coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Domain: pure rules, depends on nothing.
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: IO_PACKAGES,
            },
            { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
            {
              // The outbox envelope is a realchat.shared.v1 message: persistence encodes it.
              sourceTag: 'type:persistence',
              onlyDependOnLibsWithTags: ['type:domain', 'type:proto'],
            },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:domain', 'type:proto'] },
            // Apps depend on libs, never on each other.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: LIBS,
            },
            {
              // End-to-end tests drive the built apps; they use the libs, never an app's code.
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: [...LIBS, 'type:tooling'],
            },
            {
              // deploy/: manifests and their tests; reads the apps' config specs on purpose
              // (test/apps.ts, the one exempted import) so that manifests cannot drift from them.
              sourceTag: 'type:deploy',
              onlyDependOnLibsWithTags: [...LIBS, 'type:tooling'],
            },
            {
              sourceTag: 'type:tooling',
              onlyDependOnLibsWithTags: [...LIBS, 'type:tooling'],
            },
            {
              sourceTag: 'scope:message',
              notDependOnLibsWithTags: ['scope:relay', 'scope:conversation'],
            },
            {
              sourceTag: 'scope:relay',
              notDependOnLibsWithTags: ['scope:message', 'scope:conversation'],
            },
            {
              sourceTag: 'scope:conversation',
              notDependOnLibsWithTags: ['scope:message', 'scope:relay'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  // Ownership: each app imports only the persistence adapters it owns, and production code never
  // imports a test helper (so none ends up in a bundle).
  // kafkajs stays behind each app's own adapter (message-api's membership-events consumer, the
  // stub's publisher): only their adapters/ use it.
  ...ownedPersistence('apps/message-api/src/**/*.ts', ['messages', 'outbox'], {
    ignores: ['apps/message-api/src/adapters/**'],
    bannedPackages: ['kafkajs', 'kafkajs/*'],
  }),
  ...ownedPersistence('apps/message-api/src/adapters/**/*.ts', ['messages', 'outbox']),
  // kafkajs (slow release cadence) stays behind the relay's EventSink: only adapters/ use it.
  ...ownedPersistence('apps/outbox-relay/src/**/*.ts', ['outbox', 'leases'], {
    ignores: ['apps/outbox-relay/src/adapters/**'],
    bannedPackages: ['kafkajs', 'kafkajs/*'],
  }),
  ...ownedPersistence('apps/outbox-relay/src/adapters/**/*.ts', ['outbox', 'leases']),
  ...ownedPersistence('apps/conversation-stub/src/**/*.ts', ['conversations'], {
    ignores: ['apps/conversation-stub/src/adapters/**'],
    bannedPackages: ['kafkajs', 'kafkajs/*'],
  }),
  ...ownedPersistence('apps/conversation-stub/src/adapters/**/*.ts', ['conversations']),
  ...ownedPersistence('libs/*/src/**/*.ts', ['messages', 'outbox', 'leases', 'conversations']),
  {
    // Services log through pino only; tools and scripts may print.
    files: ['tools/**/*.{ts,mjs,js}', '**/test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
