/**
 * Jest in native ESM mode (NestJS 12 is ESM-only); see docs/adr/0003-jest-with-esm-nestjs.md.
 * Two projects: `unit` (src/**\/*.spec.ts, no database) and `e2e` (test/e2e, real PostgreSQL).
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
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // A global option (jest ignores it inside a project): e2e tests send hundreds of requests on a busy 2-core
  // machine, the cross-tenant matrix alone about a thousand.
  testTimeout: 60000,
};
