/**
 * Training throughput: our trainer (`trainLocal`, what peers run) against bare TF.js
 * `model.fit` on the same backend, model (MNIST mlp 784-200-200-10, adam, batch 32) and rows, for
 * every backend that starts on this machine, each in a process of its own (train-worker.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BACKEND_NAMES, type BackendName } from '../node/learn/backend.ts';
import { round } from './measure.ts';
import type { TrainMeasurement } from './train-worker.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const MAX_OVERHEAD = 0.05;
/** Rows trained per run, and runs of each side: the cpu backend is ten times slower than the others. */
const PLANS: Record<BackendName, { samples: number; pairs: number }> = {
  tensorflow: { samples: 4000, pairs: 4 },
  wasm: { samples: 4000, pairs: 4 },
  cpu: { samples: 800, pairs: 4 },
};
const SMOKE_PLAN = { samples: 256, pairs: 1 };

/** The backend's measurement, or why it could not start. */
async function measureBackend(backend: BackendName, plan: { samples: number; pairs: number }): Promise<TrainMeasurement | string> {
  const args = [join(import.meta.dirname, 'train-worker.ts'), backend, String(plan.samples), String(plan.pairs)];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as TrainMeasurement;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    return stderr.split('\n').find((line) => /^\w*Error:/.test(line)) ?? stderr.trim().split('\n')[0] ?? 'failed';
  }
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const results: TrainMeasurement[] = [];
  const unavailable: string[] = [];
  for (const backend of BACKEND_NAMES) {
    log(`${backend}…`);
    const outcome = await measureBackend(backend, smoke ? SMOKE_PLAN : PLANS[backend]);
    if (typeof outcome === 'string') unavailable.push(`${backend}: ${outcome}`);
    else results.push(outcome);
  }
  if (results.length === 0) throw new Error(`no TF.js backend could train: ${unavailable.join('; ')}`);
  const overhead = (r: TrainMeasurement): number => round(1 / r.ratio - 1, 3);
  return {
    summary:
      'MNIST mlp (784-200-200-10), adam, batch 32, 1 epoch: our trainer (trainLocal: seeded shuffle, as peers train) vs bare ' +
      'TF.js model.fit (shuffle: true) on the same backend and rows, alternating (bare, ours, ours, bare, …), medians, one process per backend. ' +
      (unavailable.length === 0 ? '' : ` Not available here: ${unavailable.join('; ')}.`),
    tables: [
      {
        title: 'Training throughput (samples/s)',
        columns: ['backend', 'rows', 'runs each', 'ours', 'bare model.fit', 'ours/bare', 'overhead'],
        rows: results.map((r) => [
          r.backend,
          r.samples,
          r.pairs,
          round(r.oursSamplesPerSecond),
          round(r.bareSamplesPerSecond),
          round(r.ratio, 3),
          overhead(r),
        ]),
      },
    ],
    figures: { results, unavailable },
    goals: results.map((r) => ({
      goal: `${r.backend}: trainer overhead over bare model.fit <= ${MAX_OVERHEAD * 100}%`,
      measured: `${round(overhead(r) * 100, 3)}% (ours/bare ${round(r.ratio, 3)})`,
      met: overhead(r) <= MAX_OVERHEAD,
    })),
  };
}

const bench: Bench = {
  name: 'train',
  description: 'samples/s of our trainer vs bare TF.js model.fit on the same backend and data, per backend',
  run,
};
export default bench;
