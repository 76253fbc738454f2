/**
 * Jest runs the ESM TypeScript sources as they ship (node --experimental-vm-modules).
 *
 * The timing tests (test/timing.test.ts) compare response times to a few milliseconds, which other test
 * files hashing passwords on the same cores would swamp: they run in a pass of their own
 * (`npm run jest:timing`, PORTA_TEST_SET=timing), after the rest, on a quiet machine.
 */
const timingOnly = process.env.PORTA_TEST_SET === 'timing';

export default {
  testEnvironment: './test/helpers/environment.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testMatch: timingOnly ? ['<rootDir>/test/timing.test.ts'] : ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: timingOnly ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/timing\\.test\\.ts$'],
  testTimeout: 30000,
  maxWorkers: 2,
};
