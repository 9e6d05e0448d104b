/**
 * Jest in native ESM mode (NestJS 12 is ESM-only); see docs/adr/0003-jest-with-esm-nestjs.md.
 * Four projects: `unit` (src/**\/*.spec.ts, no database), `sql` (test/sql: the SQL functions called directly),
 * `medium` (test/medium: services and repositories without HTTP) and `e2e` (test/e2e: the HTTP API); all but `unit`
 * on the real PostgreSQL.
 */
const common = {
  testEnvironment: 'node',
  rootDir: '.',
  moduleFileExtensions: ['ts', 'js', 'json'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, astTransformers: { before: ['<rootDir>/test/swagger-plugin.cjs'] } },
    ],
  },
  resolver: '<rootDir>/test/bridge/resolver.cjs',
  setupFilesAfterEnv: ['<rootDir>/test/bridge/preload.ts'],
};

export default {
  // One PostgreSQL server and migrated template for the whole run (test/support/global-setup.ts); every file
  // that needs a database clones the template.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    // SQL functions and triggers called directly, each case in a transaction that is rolled back.
    { ...common, displayName: 'sql', testMatch: ['<rootDir>/test/sql/**/*.sql-spec.ts'] },
    // Services and repositories on a cloned database, without HTTP.
    { ...common, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
  // A global option (jest ignores it inside a project): e2e tests send hundreds of requests on a busy 2-core
  // machine, the cross-tenant matrix alone about a thousand.
  testTimeout: 60000,
};
