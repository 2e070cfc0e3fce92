import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { createModel, inputTensor } from '../../node/learn/model.ts';
import { readWeights } from '../../node/learn/model-weights.ts';
import { Rng } from '../../node/learn/rng.ts';
import * as tf from '@tensorflow/tfjs-core';
import { evaluate, rowsPerChunk, trainLocal, type TrainingPlan } from '../../node/learn/trainer.ts';
import { Learner } from '../../node/peer/learner.ts';
import { testTask } from '../federation/helpers.ts';

let data: Dataset;
const shape = { featureCount: 784, classCount: 10 };
// 10,000 digits × 3 epochs of the 2NN: several seconds of training without a stop.
const plan: TrainingPlan = { epochs: 3, batchSize: 32, learningRate: 0.003, optimizer: 'adam' };

beforeAll(async () => {
  await selectBackend();
  data = (await mnistSplit()).train;
});

/** Rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('stopping training', () => {
  it('ends after the batch in progress once the signal is aborted, and leaves the model usable', async () => {
    const model = await createModel({ kind: 'preset', preset: 'mlp' }, shape, 1);
    const initial = readWeights(model).values.slice();
    const controller = new AbortController();
    let abortedAt = 0;
    // Aborted at the first turn the event loop gets once a batch has changed the weights
    // (training yields to it between chunks and at least every 125 ms).
    let settled = false;
    const abortAfterFirstUpdate = () => {
      if (settled) return;
      if (!readWeights(model).values.some((value, i) => value !== initial[i])) {
        setImmediate(abortAfterFirstUpdate);
        return;
      }
      abortedAt = performance.now();
      controller.abort(new Error('test stop'));
    };
    setImmediate(abortAfterFirstUpdate);
    const started = performance.now();
    const error = await rejection(trainLocal(model, data, plan, new Rng('abort'), controller.signal).finally(() => (settled = true)));
    const stopMs = performance.now() - abortedAt;
    expect(error.name).toBe('TrainingAbortedError');
    expect(error.message).toContain('test stop');
    const { batchesDone } = error as Error & { batchesDone: number };
    const totalBatches = plan.epochs * Math.ceil(data.size / plan.batchSize);
    expect(batchesDone).toBeGreaterThanOrEqual(1);
    expect(batchesDone).toBeLessThan(totalBatches / 10);
    expect(abortedAt).toBeGreaterThan(started);
    expect(stopMs).toBeLessThan(1000);

    // Usable: the batches done changed the weights, all finite; it evaluates and trains again.
    const after = readWeights(model).values;
    expect(after.every(Number.isFinite)).toBe(true);
    expect(after.some((value, i) => value !== initial[i])).toBe(true);
    const few = subset(data, Array.from({ length: 64 }, (_, i) => i));
    const metrics = await trainLocal(model, few, { ...plan, epochs: 1 }, new Rng('again'));
    expect(metrics.samples).toBe(64);
    expect(Number.isFinite(metrics.loss)).toBe(true);
    expect(Number.isFinite(evaluate(model, few).loss)).toBe(true);
    model.dispose();
  });

  it('refuses to start on an aborted signal, leaving the weights as they were', async () => {
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, shape, 1);
    const before = readWeights(model).values.slice();
    const error = await rejection(trainLocal(model, data, plan, new Rng('abort'), AbortSignal.abort()));
    expect(error.name).toBe('TrainingAbortedError');
    expect((error as Error & { batchesDone: number }).batchesDone).toBe(0);
    expect(readWeights(model).values).toEqual(before);
    model.dispose();
  });

  it('a learner rejects train and trainModel on an aborted signal and trains normally afterwards', async () => {
    const few = subset(data, Array.from({ length: 100 }, (_, i) => i));
    const learner = await Learner.create({ task: testTask(), model: { kind: 'preset', preset: 'logreg' }, shape, data: few, seed: 'abort-test' });
    const base = learner.genesisBlob();
    const stopped = AbortSignal.abort();
    expect((await rejection(learner.train(base, 1, stopped))).name).toBe('TrainingAbortedError');
    expect((await rejection(learner.trainModel(base, 1, stopped))).name).toBe('TrainingAbortedError');
    const trained = await learner.train(base, 1, new AbortController().signal);
    expect(trained.samples).toBe(100);
    learner.dispose();
  });

  it('trains in chunks of whole batches exactly as one fit over the shuffled epoch', async () => {
    // 3,001 digits: two full chunks of 1,312 rows and a last one ending in a partial batch.
    const few = subset(data, Array.from({ length: 3001 }, (_, i) => i));
    expect(rowsPerChunk(784, 32)).toBe(1312);
    const sgd: TrainingPlan = { epochs: 1, batchSize: 32, learningRate: 0.05, optimizer: 'sgd' };
    const chunked = await createModel({ kind: 'preset', preset: 'logreg' }, shape, 1);
    const metrics = await trainLocal(chunked, few, sgd, new Rng('same'));

    const whole = await createModel({ kind: 'preset', preset: 'logreg' }, shape, 1);
    whole.compile({ optimizer: tf.train.sgd(sgd.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const shuffled = new Rng('same').permutation(few.size); // the order trainLocal draws from the same seed
    const features = new Float32Array(few.size * 784);
    shuffled.forEach((from, row) => features.set(few.features.subarray(from * 784, (from + 1) * 784), row * 784));
    const xs = inputTensor(whole, features, few.size);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(shuffled, (from) => few.labels[from]!), 'int32'), 10));
    const history = await whole.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);

    expect(readWeights(chunked).values).toEqual(readWeights(whole).values);
    expect(metrics.loss).toBeCloseTo(Number(history.history['loss']![0]), 5);
    chunked.dispose();
    whole.dispose();
  });
});
