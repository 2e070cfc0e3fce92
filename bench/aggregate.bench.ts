/**
 * FedAvg throughput: the strategy curators run (`fedAvg()`), and the float64 weighted mean the
 * server optimizers use, against `TypedArray.set` copying the same K×P floats, in one run.
 */
import { fedAvg } from '../node/aggregate/fedavg.ts';
import { weightedMeanDelta } from '../node/aggregate/server-optimizers.ts';
import type { Contribution } from '../node/aggregate/strategy.ts';
import { interleavedMedians, randomFloats, round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

/** Distinct delta arrays at most; K above it references them repeatedly (K=100 × 10M floats would be 4 GB). */
const POOL = 10;
const GOAL_RATIO = 0.5;

interface Cell {
  readonly params: number;
  readonly deltas: number;
  readonly distinctArrays: number;
  readonly reps: number;
  readonly fedavgGBps: number;
  readonly weightedMeanGBps: number;
  readonly copyGBps: number;
  /** fedavg / copy. */
  readonly ratio: number;
  readonly weightedMeanRatio: number;
}

async function measureCell(params: number, deltas: number, pool: readonly Float32Array[], base: Float32Array): Promise<Cell> {
  const contributions: Contribution[] = Array.from({ length: deltas }, (_, k) => ({
    from: `peer-${k}`,
    delta: pool[k % pool.length] as Float32Array,
    samples: 100 + k,
  }));
  const target = new Float32Array(params);
  const copyAll = (): void => {
    for (const { delta } of contributions) target.set(delta);
  };
  const strategy = fedAvg();
  const inputBytes = deltas * params * 4;
  // About 1 GB of input per repetition at least, so a timing is never a few microseconds.
  const reps = Math.min(25, Math.max(3, Math.ceil(1e9 / inputBytes)));
  const [fedavg, mean, copy] = await interleavedMedians(reps, [
    () => strategy.aggregate(base, contributions),
    () => weightedMeanDelta(base, contributions),
    copyAll,
  ]);
  const gbps = (seconds: number | undefined): number => inputBytes / 1e9 / (seconds ?? Number.NaN);
  return {
    params,
    deltas,
    distinctArrays: Math.min(deltas, pool.length),
    reps,
    fedavgGBps: round(gbps(fedavg)),
    weightedMeanGBps: round(gbps(mean)),
    copyGBps: round(gbps(copy)),
    ratio: round(gbps(fedavg) / gbps(copy), 3),
    weightedMeanRatio: round(gbps(mean) / gbps(copy), 3),
  };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const paramSizes = smoke ? [2_000, 20_000] : [200_000, 10_000_000];
  const largest = Math.max(...paramSizes);
  const deltaCounts = [10, 100];
  const cells: Cell[] = [];
  for (const params of paramSizes) {
    const pool = Array.from({ length: POOL }, (_, i) => randomFloats(params, i + 1));
    const base = randomFloats(params, 0, 0.1);
    for (const deltas of deltaCounts) {
      log(`P=${params} K=${deltas}…`);
      cells.push(await measureCell(params, deltas, pool, base));
    }
  }
  const atGoal = cells.filter((cell) => cell.params === largest);
  const worst = Math.min(...atGoal.map((cell) => cell.ratio));
  return {
    summary:
      `FedAvg of K deltas of P float32 params (sample-weighted) vs TypedArray.set copying the same K×P floats, ` +
      `GB/s of delta input, median of interleaved repetitions. At most ${POOL} distinct delta arrays, referenced K times ` +
      `(K=100 × 10M floats would need 4 GB). weightedMean is the float64 mean FedAvgM/FedAdam use.`,
    tables: [
      {
        title: 'Aggregation throughput (GB/s of delta input)',
        columns: ['P params', 'K deltas', 'fedavg', 'weightedMean', 'set copy', 'fedavg/copy', 'weightedMean/copy'],
        rows: cells.map((c) => [c.params, c.deltas, c.fedavgGBps, c.weightedMeanGBps, c.copyGBps, c.ratio, c.weightedMeanRatio]),
      },
    ],
    figures: { pool: POOL, cells },
    goals: [
      {
        goal: `fedavg/copy >= ${GOAL_RATIO} at P=10M`,
        measured: `at P=${largest}: ${atGoal.map((c) => `K=${c.deltas} ${c.ratio}`).join(', ')}`,
        met: worst >= GOAL_RATIO,
      },
    ],
  };
}

const bench: Bench = {
  name: 'aggregate',
  description: 'FedAvg of K=10 and K=100 deltas, P=200k and 10M params, vs TypedArray.set copy of the same bytes',
  run,
};
export default bench;
