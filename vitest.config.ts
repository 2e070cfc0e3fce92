import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // TF.js backends and libp2p nodes hold process-wide state: one process per test file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
