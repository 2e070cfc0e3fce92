/**
 * One backend of the train bench, in a process of its own (TF.js holds one backend per process):
 * `node bench/train-worker.ts BACKEND SAMPLES PAIRS` prints a TrainMeasurement as JSON on stdout.
 * Our trainer (`trainLocal`) and bare `model.fit` train the same MNIST mlp on the same rows PAIRS
 * times each, in the order bare, ours, ours, bare, bare, ours…, so that a machine slowing down or
 * speeding up hits both alike; the medians are compared.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseBackendName, selectBackend } from '../node/learn/backend.ts';
import { subset, type Dataset } from '../node/learn/data/dataset.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { createModel } from '../node/learn/model.ts';
import { Rng } from '../node/learn/rng.ts';
import { trainLocal, type TrainingPlan } from '../node/learn/trainer.ts';
import { median } from './measure.ts';

export interface TrainMeasurement {
  readonly backend: string;
  readonly samples: number;
  /** Runs of each side; the figures are medians. */
  readonly pairs: number;
  readonly oursSamplesPerSecond: number;
  readonly bareSamplesPerSecond: number;
  /** ours / bare: 1 means no overhead. */
  readonly ratio: number;
}

const PLAN: TrainingPlan = { epochs: 1, batchSize: 32, learningRate: 1e-3, optimizer: 'adam' };
const SHAPE = { featureCount: 784, classCount: 10 };

function firstRows(data: Dataset, count: number): Dataset {
  return subset(data, Array.from({ length: Math.min(count, data.size) }, (_, i) => i));
}

async function bareSeconds(data: Dataset): Promise<number> {
  const model = await createModel({ kind: 'preset', preset: 'mlp' }, SHAPE, 1);
  model.compile({ optimizer: tf.train.adam(PLAN.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = tf.tensor2d(data.features, [data.size, SHAPE.featureCount]);
  const ys = tf.oneHot(tf.tensor1d(data.labels, 'int32'), SHAPE.classCount);
  const started = performance.now();
  await model.fit(xs, ys, { epochs: PLAN.epochs, batchSize: PLAN.batchSize, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([xs, ys]);
  model.dispose();
  return seconds;
}

/** Timed by trainLocal itself (from its first batch to its last, as peers report it). */
async function oursSeconds(data: Dataset, seed: number): Promise<number> {
  const model = await createModel({ kind: 'preset', preset: 'mlp' }, SHAPE, 1);
  const metrics = await trainLocal(model, data, PLAN, new Rng(seed));
  model.dispose();
  return metrics.seconds;
}

async function measure(backend: string, samples: number, pairs: number): Promise<TrainMeasurement> {
  await selectBackend({ force: parseBackendName(backend, 'train bench') });
  const data = firstRows((await mnistSplit()).train, samples);
  // Warm up kernels (compilation, wasm tiers) so that neither side pays for it.
  await oursSeconds(firstRows(data, 512), 0);
  const bare: number[] = [];
  const ours: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (pair % 2 === 0) bare.push(await bareSeconds(data));
    ours.push(await oursSeconds(data, pair + 1));
    if (pair % 2 === 1) bare.push(await bareSeconds(data));
  }
  const rate = (seconds: number): number => (data.size * PLAN.epochs) / seconds;
  return {
    backend,
    samples: data.size,
    pairs,
    oursSamplesPerSecond: rate(median(ours)),
    bareSamplesPerSecond: rate(median(bare)),
    ratio: median(bare) / median(ours),
  };
}

const [backend = '', samples = '4000', pairs = '4'] = process.argv.slice(2);
process.stdout.write(JSON.stringify(await measure(backend, Number(samples), Number(pairs))));
