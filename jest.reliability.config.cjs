/**
 * CommonJS (.cjs) so that eslint's typed rules leave it alone, as they do jest.config.js.
 * `npm run test:reliability`: the reliability suite (test/reliability/**\/*.rel-spec.ts), one scenario after the
 * other (--runInBand: each puts a whole machine's worth of load on its own embedded PostgreSQL and service
 * processes). Same ESM and ts-jest set-up as jest.config.js; see docs/reliability.md.
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  displayName: 'reliability',
  testMatch: ['<rootDir>/test/reliability/**/*.rel-spec.ts'],
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
  globalSetup: '<rootDir>/test/reliability/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/reliability/support/global-teardown.ts',
  // A scenario holds load for a minute or more, then waits for deliveries and reconciliation.
  testTimeout: 15 * 60 * 1000,
};
