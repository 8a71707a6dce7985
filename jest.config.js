/** Integration suites share one Temporal dev server and one PostgreSQL database per run (see test/harness/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // jose is published as ES modules only: let swc turn it into CommonJS like our own code.
  transform: { '^.+\\.(ts|js)$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
};
