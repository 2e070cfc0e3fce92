import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs every suite but the long ones, which have scripts of their own (.ci/run calls
 * them too), so that it stays within 5 minutes on 2 cores:
 * - `npm run test:hostile`: real federations under attack by a hostile member (test/hostile/);
 * - `npm run test:slow`: every benchmark in its smoke mode, 2 × 101 MiB over a pnet connection,
 *   Ctrl-C on a peer training on a generated 31 MB CSV, the CLI's setup commands as processes
 *   (init, task create/sign/verify, config errors, every --help: ~45 s), kill -9 crash recovery
 *   of real peer processes, real-peer rounds under the robust aggregation rules with an
 *   auditor recomputing each version (~20 s), and simulated gossip rings with a sign-flipping
 *   neighbour, averaged and clipped (~20 s).
 */
const SUITES = {
  hostile: ['test/hostile/**/*.test.ts'],
  slow: [
    'test/bench/smoke.test.ts',
    'test/host/psk-bulk.test.ts',
    'test/cli/stop.test.ts',
    'test/cli/commands-setup.test.ts',
    'test/slow/crash-recovery.test.ts',
    'test/federation/robust-rules.test.ts',
    'test/sim/gossip-clipping.test.ts',
  ],
} as const;

const suite = process.env['GOSSIPFL_SUITE'];
if (suite !== undefined && !(suite in SUITES)) throw new Error(`GOSSIPFL_SUITE must be one of ${Object.keys(SUITES).join(', ')}, got "${suite}"`);
const chosen = suite === undefined ? undefined : SUITES[suite as keyof typeof SUITES];

export default defineConfig({
  test: {
    include: chosen === undefined ? ['test/**/*.test.ts'] : [...chosen],
    exclude: chosen === undefined ? ['**/node_modules/**', ...Object.values(SUITES).flat()] : ['**/node_modules/**'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // TF.js backends and libp2p nodes hold process-wide state: one process per test file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
