import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs every suite but the long ones, which have their own scripts (and .ci/run calls
 * them): `npm run test:hostile` — real federations under attack (test/hostile/).
 */
const LONG_SUITES = ['test/hostile/**'];
const suite = process.env['GOSSIPFL_SUITE'];

export default defineConfig({
  test: {
    include: suite === 'hostile' ? ['test/hostile/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: suite === 'hostile' ? [] : LONG_SUITES,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // TF.js backends and libp2p nodes hold process-wide state: one process per test file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
