import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset } from '../../node/learn/data/dataset.ts';
import { mnistSplit, type TrainTestSplit } from '../../node/learn/data/mnist.ts';
import { createModel } from '../../node/learn/model.ts';
import { loadModelFile, saveModelFolder } from '../../node/learn/model-io.ts';
import { Rng } from '../../node/learn/rng.ts';
import { evaluate, trainLocal } from '../../node/learn/trainer.ts';

const MNIST_SHAPE = { featureCount: 784, classCount: 10 };
let mnist: TrainTestSplit;
let scratch: string;

beforeAll(async () => {
  await selectBackend();
  mnist = await mnistSplit();
  scratch = await mkdtemp(join(tmpdir(), 'gossipfl-learn-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('MNIST data', () => {
  it('is a fixed 8,000 / 2,000 split of real digits with every class on both sides', async () => {
    expect(mnist.train.size).toBe(8000);
    expect(mnist.test.size).toBe(2000);
    const again = await mnistSplit();
    expect(again.test.labels).toEqual(mnist.test.labels);
    for (let digit = 0; digit < 10; digit++) {
      expect(mnist.test.labels.filter((label) => label === digit).length).toBeGreaterThan(150);
    }
    const values = mnist.train.features;
    expect(Math.min(...values.subarray(0, 784 * 50))).toBe(0);
    expect(Math.max(...values.subarray(0, 784 * 50))).toBeLessThanOrEqual(1);
  });
});

describe('models and training', () => {
  it('builds identical preset weights from the same seed and different ones otherwise', async () => {
    const [a, b, c] = await Promise.all([1, 1, 2].map((seed) => createModel({ kind: 'preset', preset: 'mlp' }, MNIST_SHAPE, seed)));
    const kernel = (model: typeof a) => model!.getWeights()[0]!.dataSync();
    expect(kernel(a)).toEqual(kernel(b));
    expect(kernel(a)).not.toEqual(kernel(c));
    expect(a!.countParams()).toBe(784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);
    for (const model of [a, b, c]) model!.dispose();
  });

  it('trains the mlp preset on pooled MNIST to >= 0.92 test accuracy', async () => {
    const model = await createModel({ kind: 'preset', preset: 'mlp' }, MNIST_SHAPE, 7);
    const before = evaluate(model, mnist.test);
    const metrics = await trainLocal(model, mnist.train, { epochs: 3, batchSize: 32, learningRate: 1e-3, optimizer: 'adam' }, new Rng(7));
    const after = evaluate(model, mnist.test);
    expect(before.accuracy).toBeLessThan(0.3);
    expect(metrics.samples).toBe(8000);
    expect(metrics.loss).toBeLessThan(0.3);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.92);
    expect(after.loss).toBeLessThan(before.loss);
    model.dispose();
  });

  it('trains a logistic regression with sgd and reports metrics for a small tabular set', async () => {
    const small = subset(mnist.train, Array.from({ length: 500 }, (_, i) => i));
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, MNIST_SHAPE, 3);
    const metrics = await trainLocal(model, small, { epochs: 2, batchSize: 50, learningRate: 0.1, optimizer: 'sgd' }, new Rng(3));
    expect(metrics.samples).toBe(500);
    expect(Number.isFinite(metrics.loss)).toBe(true);
    expect(metrics.accuracy).toBeGreaterThan(0.3);
    model.dispose();
  });

  it('rejects an invalid training plan with every problem named', async () => {
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, MNIST_SHAPE, 3);
    await expect(
      trainLocal(model, mnist.test, { epochs: 0, batchSize: 1.5, learningRate: -1, optimizer: 'adam' }, new Rng(1)),
    ).rejects.toThrow(/epochs.*batchSize.*learningRate/);
    model.dispose();
  });
});

describe('model files', () => {
  it('exports a model folder that loads back with the same predictions', async () => {
    const model = await createModel({ kind: 'preset', preset: 'tabular-mlp' }, MNIST_SHAPE, 5);
    const folder = join(scratch, 'export');
    await saveModelFolder(model, folder);
    const loaded = await createModel({ kind: 'layers', path: join(folder, 'model.json') }, MNIST_SHAPE, 0);
    const sample = subset(mnist.test, [0, 1, 2, 3]);
    expect(evaluate(loaded, sample)).toEqual(evaluate(model, sample));
    model.dispose();
    loaded.dispose();
  });

  it('refuses a model whose shape does not fit the data, and unreadable files, with clear errors', async () => {
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, { featureCount: 4, classCount: 3 }, 1);
    const folder = join(scratch, 'iris');
    await saveModelFolder(model, folder);
    model.dispose();
    await expect(createModel({ kind: 'layers', path: join(folder, 'model.json') }, MNIST_SHAPE, 0)).rejects.toThrow(/4 values\) but the task's data has 784 features/);
    await expect(loadModelFile(join(scratch, 'missing.json'))).rejects.toThrow(/cannot read the model file .*ENOENT/);
    const notJson = join(scratch, 'bad.json');
    await writeFile(notJson, '{ nope');
    await expect(loadModelFile(notJson)).rejects.toThrow(/not valid JSON/);
    await writeFile(notJson, '{"format": "graph-model"}');
    await expect(loadModelFile(notJson)).rejects.toThrow(/no "modelTopology"/);
  });

  it('does not overwrite a folder holding other files', async () => {
    const folder = join(scratch, 'precious');
    await saveModelFolder(await createModel({ kind: 'preset', preset: 'logreg' }, MNIST_SHAPE, 1), folder);
    await writeFile(join(folder, 'notes.txt'), 'keep me');
    const model = await createModel({ kind: 'preset', preset: 'logreg' }, MNIST_SHAPE, 2);
    await expect(saveModelFolder(model, folder)).rejects.toThrow(/holds other files \(notes.txt\)/);
    model.dispose();
  });
});
