/**
 * Delta encodings: encode and decode throughput and size of f32, f16 and int8 against a plain
 * `Float32Array.prototype.set` copy of the same floats; then what int8 costs in accuracy: the
 * same simulated federation (same seed) run with f32 and with int8 deltas.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../node/learn/backend.ts';
import { decodeWeights, encodeWeights, ENCODINGS, type FlatWeights, type WeightsEncoding } from '../node/learn/weights/index.ts';
import { Rng } from '../node/learn/rng.ts';
import { runScenario } from '../sim/scenario-run.ts';
import { validateScenario, type Scenario } from '../sim/scenario.ts';
import { interleavedMedians, randomFloats, round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const ACCURACY_GOAL_POINTS = 0.3;
const BYTES_GOAL = 3.9;

interface EncodingFigures {
  readonly encoding: WeightsEncoding;
  readonly bytes: number;
  /** f32 bytes / these bytes. */
  readonly smallerBy: number;
  readonly encodeMFloatsPerSecond: number;
  readonly decodeMFloatsPerSecond: number;
  /** Encode + decode, relative to f32's encode + decode. */
  readonly roundTripVsF32: number;
  /** Encode + decode, relative to two set copies (the least any round trip through a buffer does). */
  readonly roundTripVsCopy: number;
  readonly maxAbsError: number;
}

/** A layout like a small MLP's: four tensors sharing `floats` values. */
function sampleWeights(floats: number): FlatWeights {
  const rows = floats / 4 / 250;
  const tensors = [0, 1, 2, 3].map((i) => ({ name: `layer${i}/kernel`, shape: [rows, 250], dtype: 'float32' as const }));
  return { manifest: { tensors }, values: randomFloats(floats, 7, 0.05) };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

interface CodecFigures {
  readonly copyMFloatsPerSecond: number;
  /** `values.slice()`: a copy into freshly allocated memory, as every encode and decode makes. */
  readonly sliceMFloatsPerSecond: number;
  readonly encodings: EncodingFigures[];
}

async function measureCodecs(floats: number, reps: number): Promise<CodecFigures> {
  const flat = sampleWeights(floats);
  const target = new Float32Array(floats);
  const encoded = new Map(ENCODINGS.map((encoding) => [encoding, encodeWeights(flat, encoding)]));
  const bytesOf = (encoding: WeightsEncoding): Uint8Array => encoded.get(encoding) as Uint8Array;
  const fns = [
    () => target.set(flat.values),
    () => flat.values.slice(),
    ...ENCODINGS.flatMap((encoding) => [() => encodeWeights(flat, encoding), () => decodeWeights(bytesOf(encoding), flat.manifest)]),
  ];
  const [copy = Number.NaN, slice = Number.NaN, ...codecSeconds] = await interleavedMedians(reps, fns);
  const rate = (seconds: number): number => round(floats / 1e6 / seconds);
  const roundTrip = (i: number): number => (codecSeconds[2 * i] ?? Number.NaN) + (codecSeconds[2 * i + 1] ?? Number.NaN);
  const encodings = ENCODINGS.map((encoding, i) => ({
    encoding,
    bytes: bytesOf(encoding).byteLength,
    smallerBy: round(bytesOf('f32').byteLength / bytesOf(encoding).byteLength, 3),
    encodeMFloatsPerSecond: rate(codecSeconds[2 * i] ?? Number.NaN),
    decodeMFloatsPerSecond: rate(codecSeconds[2 * i + 1] ?? Number.NaN),
    roundTripVsF32: round(roundTrip(0) / roundTrip(i), 3),
    roundTripVsCopy: round((2 * copy) / roundTrip(i), 3),
    maxAbsError: round(maxAbsDifference(flat.values, decodeWeights(bytesOf(encoding)).values), 3),
  }));
  return { copyMFloatsPerSecond: rate(copy), sliceMFloatsPerSecond: rate(slice), encodings };
}

/** A small separable CSV for smoke runs, so they train in a second rather than on MNIST. */
async function smokeCsv(): Promise<{ path: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gossipfl-codec-bench-'));
  const rng = new Rng(3);
  const rows = Array.from({ length: 400 }, () => {
    const x = [0, 1, 2, 3].map(() => rng.uniform(-1, 1));
    return `${x.map((v) => v.toFixed(4)).join(',')},${(x[0] ?? 0) + (x[1] ?? 0) > 0 ? 'a' : 'b'}`;
  });
  const path = join(dir, 'smoke.csv');
  await writeFile(path, `x0,x1,x2,x3,label\n${rows.join('\n')}\n`);
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** One curator-mode simulated federation: MNIST (8 peers, 5 rounds) or, for smoke, a tiny CSV. */
function scenarioFor(encoding: WeightsEncoding, seed: number, smokeData: string | undefined): Scenario {
  const common = { name: `bench-codec-${encoding}`, seed, partition: { kind: 'iid' }, algorithms: ['curator'] };
  const training = { epochs: 1, batchSize: 32 };
  if (smokeData === undefined) {
    return validateScenario(
      {
        ...common,
        peers: 8,
        data: { builtin: 'mnist' },
        task: { model: { preset: 'mlp' }, training, stopping: { rounds: 5 }, encoding },
        evaluation: { testSamples: 2000, everyRounds: 1 },
      },
      'codec bench',
    );
  }
  return validateScenario(
    {
      ...common,
      peers: 2,
      data: { csv: smokeData, labelColumn: 'label', classes: ['a', 'b'], featureCount: 4 },
      task: { model: { preset: 'tabular-mlp' }, training, stopping: { rounds: 1 }, encoding },
      evaluation: { testSamples: 80, everyRounds: 1 },
    },
    'codec bench (smoke)',
  );
}

/** Final test accuracy of the scenario's run. */
async function finalAccuracy(scenario: Scenario): Promise<{ accuracy: number; seconds: number }> {
  const [run] = await runScenario(scenario);
  const last = run?.rounds.at(-1);
  if (run === undefined || last === undefined) throw new Error(`${scenario.name} ran no round`);
  return { accuracy: last.accuracy, seconds: run.seconds };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const floats = smoke ? 10_000 : 10_000_000;
  log(`encode/decode ${floats} floats…`);
  const { copyMFloatsPerSecond, sliceMFloatsPerSecond, encodings } = await measureCodecs(floats, smoke ? 2 : 7);
  const backend = await selectBackend();
  const csv = smoke ? await smokeCsv() : undefined;
  // One seed decides a few test digits either way (0.25 points = 5 of 2,000), so the cost is a mean over seeds.
  const seeds = smoke ? [1] : [1, 2, 3];
  const runs: { seed: number; f32: { accuracy: number; seconds: number }; int8: { accuracy: number; seconds: number } }[] = [];
  try {
    for (const seed of seeds) {
      log(`simulated federation, seed ${seed}, with f32 then int8 deltas (TF.js ${backend.name})…`);
      runs.push({ seed, f32: await finalAccuracy(scenarioFor('f32', seed, csv?.path)), int8: await finalAccuracy(scenarioFor('int8', seed, csv?.path)) });
    }
  } finally {
    await csv?.dispose();
  }
  const mean = (pick: (r: (typeof runs)[number]) => number) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  const f32 = { accuracy: mean((r) => r.f32.accuracy) };
  const int8 = { accuracy: mean((r) => r.int8.accuracy) };
  const costPoints = round((f32.accuracy - int8.accuracy) * 100, 3);
  const int8Figures = encodings.find((figures) => figures.encoding === 'int8');
  const simulation = smoke ? 'smoke: 2 peers, 1 round, a 400-row CSV' : `MNIST mlp, 8 peers, 5 rounds, 2000 test samples, seeds ${seeds.join(', ')}`;
  return {
    summary:
      `Encode and decode of ${floats} float32 values (4 tensors, uniform in ±0.05) in each wire encoding vs ` +
      `Float32Array.prototype.set copying them, median of interleaved repetitions; then a simulated federation ` +
      `(${simulation}, curator mode, iid), with f32 and with int8 deltas (int8 versions also travel as f16 patches): the final accuracy difference, mean over seeds.`,
    tables: [
      {
        title: `Codec throughput (${floats} floats; set copy ${copyMFloatsPerSecond} M floats/s, slice ${sliceMFloatsPerSecond} M floats/s)`,
        columns: ['encoding', 'bytes', 'f32/bytes', 'encode Mfloat/s', 'decode Mfloat/s', 'round trip vs f32', 'round trip vs 2 copies', 'max abs error'],
        rows: encodings.map((e) => [e.encoding, e.bytes, e.smallerBy, e.encodeMFloatsPerSecond, e.decodeMFloatsPerSecond, e.roundTripVsF32, e.roundTripVsCopy, e.maxAbsError]),
      },
      {
        title: `Accuracy cost of int8 deltas (simulated, ${simulation})`,
        columns: ['seed', 'f32 final accuracy', 'int8 final accuracy', 'cost (points)', 'f32 s', 'int8 s'],
        rows: [
          ...runs.map((r) => [r.seed, round(r.f32.accuracy), round(r.int8.accuracy), round((r.f32.accuracy - r.int8.accuracy) * 100, 3), round(r.f32.seconds, 3), round(r.int8.seconds, 3)]),
          ['mean', round(f32.accuracy), round(int8.accuracy), costPoints, '', ''],
        ],
      },
    ],
    figures: {
      floats,
      copyMFloatsPerSecond,
      sliceMFloatsPerSecond,
      encodings,
      simulation: { description: simulation, backend: backend.name, runs, f32Accuracy: f32.accuracy, int8Accuracy: int8.accuracy, int8CostPoints: costPoints },
    },
    goals: [
      {
        goal: `int8 carries ~4x fewer bytes than f32 (>= ${BYTES_GOAL}x)`,
        measured: `${int8Figures?.smallerBy}x`,
        met: (int8Figures?.smallerBy ?? 0) >= BYTES_GOAL,
      },
      {
        goal: `int8 costs <= ${ACCURACY_GOAL_POINTS} accuracy points (simulated runs vs f32, mean over ${seeds.length} seed${seeds.length === 1 ? '' : 's'})`,
        measured: `${costPoints} points (f32 ${round(f32.accuracy * 100)}%, int8 ${round(int8.accuracy * 100)}%)`,
        met: costPoints <= ACCURACY_GOAL_POINTS,
      },
    ],
  };
}

const bench: Bench = {
  name: 'codec',
  description: 'f16 / int8 delta encode+decode throughput and bytes saved vs f32 and a set copy; int8 accuracy cost in a simulated run',
  run,
};
export default bench;
