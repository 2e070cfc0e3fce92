/**
 * Simulator soak: 50 peers × 200 rounds of the MNIST mlp with real training on the real round
 * engine (sim/run.ts `simulate`), this process's memory sampled every few rounds after two full
 * collections. All peers live in this one process, so a leak in the engine's or the runtime's
 * bookkeeping grows the V8 heap here 50 times over.
 */
import { selectBackend } from '../../node/learn/backend.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { partition } from '../../node/learn/data/partition.ts';
import { validateTaskManifest, type TaskManifest } from '../../node/task/manifest.ts';
import { simulate, type SimRound } from '../../sim/run.ts';
import { round } from '../measure.ts';
import type { BenchResult } from '../types.ts';
import { loadDuring, ownMemory, sampleOf, slopePer100Rounds, startMiddleEnd, warningKinds, type MemorySample } from './series.ts';

export interface SimSoakOptions {
  readonly smoke: boolean;
  readonly log: (line: string) => void;
}

function soakTask(rounds: number, fraction: number): TaskManifest {
  return validateTaskManifest(
    {
      version: 1,
      id: 'soak-sim',
      model: { preset: 'mlp', seed: 1 },
      data: { builtin: 'mnist' },
      training: { epochs: 1, batchSize: 10, optimizer: 'sgd', learningRate: 0.05 },
      cohort: { fraction, minPeers: 2 },
      aggregation: { strategy: 'fedavg' },
      timing: { collectionWindowMs: 10_000, curatorDeadlineMs: 20_000, maxBlobBytes: 16 * 1024 * 1024 },
      stopping: { rounds },
      encoding: 'int8',
      mode: 'curator',
    },
    'soak sim task',
  );
}

/** Rounds per wall minute and virtual seconds per round, over consecutive windows of `size` rounds. */
function paceWindows(rounds: readonly SimRound[], wallAt: ReadonlyMap<number, number>, size: number): { from: number; to: number; roundsPerWallMinute: number; virtualSecondsPerRound: number }[] {
  const windows = [];
  for (let from = 0; from + size <= rounds.length; from += size) {
    const to = from + size;
    const wallStart = from === 0 ? 0 : wallAt.get(from)!;
    const virtualStart = from === 0 ? 0 : rounds[from - 1]!.time;
    windows.push({
      from,
      to,
      roundsPerWallMinute: round(size / ((wallAt.get(to)! - wallStart) / 60), 4),
      virtualSecondsPerRound: round((rounds[to - 1]!.time - virtualStart) / 1000 / size, 4),
    });
  }
  return windows;
}

export async function simSoak({ smoke, log }: SimSoakOptions): Promise<{ result: BenchResult; csv: { columns: string[]; rows: (string | number)[][] } }> {
  const peers = smoke ? 6 : 50;
  const rounds = smoke ? 6 : 200;
  const every = smoke ? 2 : 5;
  const digits = 160;
  const fraction = 0.2;
  const testDigits = 500;
  const backend = (await selectBackend()).name;
  const { train, test } = await mnistSplit();
  const shards = partition({ kind: 'iid' }, train.labels.subarray(0, peers * digits), train.classCount, peers, 1).map((rows, i) => subset(train, rows, `peer ${i}`));
  const testSet = subset(test, Array.from({ length: testDigits }, (_, i) => i), 'test');
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const samples: MemorySample[] = [sampleOf(ownMemory(), 0, 0)];
  const wallAt = new Map<number, number>();
  log(`sim soak: ${peers} peers × ${rounds} rounds, mlp, ${digits} digits each, cohort ${fraction}, ${backend} backend; memory every ${every} rounds`);
  const run = await simulate({
    task: soakTask(rounds, fraction),
    shards,
    test: testSet,
    seed: 1,
    latency: { kind: 'constant', ms: 20 },
    maxVirtualMs: 24 * 3_600_000,
    onRound: (r) => {
      wallAt.set(r.round, seconds());
      if (r.round !== 1 && r.round % every !== 0) return;
      const sample = sampleOf(ownMemory(), seconds(), r.round);
      samples.push(sample);
      if (r.round % (every * 4) === 0 || r.round === 1) {
        log(`round ${r.round}: ${sample.wallSeconds.toFixed(0)} s wall, ${(r.time / 1000).toFixed(0)} s virtual, accuracy ${r.accuracy.toFixed(3)}, RSS ${sample.rssMiB.toFixed(1)} MiB, heap ${sample.heapUsedMiB.toFixed(1)} MiB, array buffers ${sample.arrayBuffersMiB.toFixed(1)} MiB, load ${sample.load}`);
      }
    },
  });
  const wallSeconds = seconds();
  const completed = run.rounds.length;
  const afterRun = samples.filter((s) => s.round >= 1);
  const [start, middle, end] = startMiddleEnd(afterRun, completed);
  const half = Math.floor(completed / 2);
  const slopes = {
    rss: slopePer100Rounds(samples, (s) => s.rssMiB, half),
    heapUsed: slopePer100Rounds(samples, (s) => s.heapUsedMiB, half),
    external: slopePer100Rounds(samples, (s) => s.externalMiB, half),
    arrayBuffers: slopePer100Rounds(samples, (s) => s.arrayBuffersMiB, half),
  };
  const warnings = run.logs.filter((l) => l.level === 'warn').map((l) => l.message);
  const windows = paceWindows(run.rounds, wallAt, smoke ? 2 : 25);
  const load = loadDuring(samples);
  const contributors = run.rounds.map((r) => r.contributors.length);
  const last = run.rounds.at(-1);
  const figures = {
    peers,
    rounds,
    completed,
    digitsPerPeer: digits,
    cohortFraction: fraction,
    backend,
    wallSeconds: round(wallSeconds, 4),
    virtualSeconds: round(run.virtualMs / 1000, 5),
    events: run.events,
    finalAccuracy: last === undefined ? null : round(last.accuracy, 4),
    meanContributors: round(contributors.reduce((s, c) => s + c, 0) / Math.max(1, contributors.length), 4),
    memory: { start, middle, end },
    secondHalfSlopeMiBPer100Rounds: slopes,
    pace: windows,
    load,
    warnings: { total: warnings.length, byKind: warningKinds(warnings) },
    samples,
  };
  const heapGoal = 1;
  const result: BenchResult = {
    summary:
      `Simulator soak: ${peers} peers × ${rounds} rounds in one process on the real round engine and peer runtime (sim/run.ts), MNIST mlp 784-200-200-10 with real training ` +
      `(${backend}; ${digits} IID digits per peer, SGD 0.05, B=10, E=1, cohort fraction ${fraction}, int8 deltas, fedavg, curator mode, 20 ms latency), every version measured on ${testDigits} test digits. ` +
      `Process memory after two full GCs, every ${every} rounds; slopes are least squares over rounds ${half}–${completed}. The simulator's in-memory stores keep every blob (as a real peer's disk store does), so array buffers grow by design; the V8 heap holds the engines' bookkeeping.`,
    tables: [
      {
        title: 'Memory (MiB)',
        columns: ['when', 'round', 'wall s', 'RSS', 'V8 heap used', 'external', 'array buffers', 'load'],
        rows: [
          ['start', start.round, start.wallSeconds, start.rssMiB, start.heapUsedMiB, start.externalMiB, start.arrayBuffersMiB, start.load],
          ['middle', middle.round, middle.wallSeconds, middle.rssMiB, middle.heapUsedMiB, middle.externalMiB, middle.arrayBuffersMiB, middle.load],
          ['end', end.round, end.wallSeconds, end.rssMiB, end.heapUsedMiB, end.externalMiB, end.arrayBuffersMiB, end.load],
          ['second-half slope / 100 rounds', `${half}–${completed}`, '', slopes.rss, slopes.heapUsed, slopes.external, slopes.arrayBuffers, ''],
        ],
      },
      {
        title: 'Pace',
        columns: ['rounds', 'rounds / wall min', 'virtual s / round'],
        rows: windows.map((w) => [`${w.from + 1}–${w.to}`, w.roundsPerWallMinute, w.virtualSecondsPerRound]),
      },
      {
        title: `Warnings (${warnings.length})`,
        columns: ['count', 'kind'],
        rows: Object.entries(figures.warnings.byKind).map(([kind, count]) => [count, kind]),
      },
    ],
    figures,
    goals: [
      { goal: `${rounds} rounds completed`, measured: `${completed} in ${round(wallSeconds, 4)} s wall, ${round(run.virtualMs / 1000, 4)} s virtual`, met: completed >= rounds },
      {
        goal: `V8 heap flat: second-half slope ≤ ${heapGoal} MiB per 100 rounds (${peers} engines' bookkeeping)`,
        measured: `${slopes.heapUsed} MiB / 100 rounds (RSS ${slopes.rss}, array buffers ${slopes.arrayBuffers})`,
        met: slopes.heapUsed <= heapGoal,
      },
    ],
  };
  return {
    result,
    csv: {
      columns: ['wall_s', 'round', 'load1', 'rss_mib', 'heap_used_mib', 'external_mib', 'array_buffers_mib'],
      rows: samples.map((s) => [s.wallSeconds, s.round, s.load, s.rssMiB, s.heapUsedMiB, s.externalMiB, s.arrayBuffersMiB]),
    },
  };
}
