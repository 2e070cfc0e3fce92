/**
 * Training throughput: our trainer (`trainLocal`) against bare TF.js `model.fit` on the same
 * backend, model (MNIST mlp) and data, in one run; then the same for every backend that can
 * start on this machine, each in its own process (TF.js holds one backend per process).
 *
 *   node bench/train.ts [--epochs N] [--smoke]
 * Prints a table and writes bench/results/train.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, selectBackend, type BackendName } from '../node/learn/backend.ts';
import { subset } from '../node/learn/data/dataset.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { createModel } from '../node/learn/model.ts';
import { Rng } from '../node/learn/rng.ts';
import { trainLocal, type TrainingPlan } from '../node/learn/trainer.ts';

const { values } = parseArgs({ options: { backend: { type: 'string' }, epochs: { type: 'string' }, smoke: { type: 'boolean' } } });
const smoke = values.smoke === true;
const epochs = Number(values.epochs ?? (smoke ? 1 : 2));
const plan: TrainingPlan = { epochs, batchSize: 32, learningRate: 1e-3, optimizer: 'adam' };

interface BackendResult {
  backend: BackendName;
  samples: number;
  oursSamplesPerSecond: number;
  bareSamplesPerSecond: number;
  /** ours / bare: 1.0 means no overhead. */
  ratio: number;
}

async function measure(backend: BackendName): Promise<BackendResult> {
  await selectBackend({ force: backend });
  const { train } = await mnistSplit();
  const data = smoke ? subset(train, Array.from({ length: 256 }, (_, i) => i)) : train;
  const shape = { featureCount: 784, classCount: 10 };

  // Warm up the backend (kernel compilation, wasm tiers) so neither side pays for it.
  const warmup = await createModel({ kind: 'preset', preset: 'mlp' }, shape, 1);
  await trainLocal(warmup, subset(data, Array.from({ length: Math.min(512, data.size) }, (_, i) => i)), { ...plan, epochs: 1 }, new Rng(0));
  warmup.dispose();

  const bareModel = await createModel({ kind: 'preset', preset: 'mlp' }, shape, 1);
  bareModel.compile({ optimizer: tf.train.adam(plan.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = tf.tensor2d(data.features, [data.size, 784]);
  const ys = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
  const bareStart = performance.now();
  await bareModel.fit(xs, ys, { epochs, batchSize: plan.batchSize, shuffle: true, verbose: 0 });
  const bareSeconds = (performance.now() - bareStart) / 1000;
  tf.dispose([xs, ys]);
  bareModel.dispose();

  const ourModel = await createModel({ kind: 'preset', preset: 'mlp' }, shape, 1);
  const metrics = await trainLocal(ourModel, data, plan, new Rng(1));
  ourModel.dispose();

  const bareSamplesPerSecond = (data.size * epochs) / bareSeconds;
  return { backend, samples: data.size * epochs, oursSamplesPerSecond: metrics.samplesPerSecond, bareSamplesPerSecond, ratio: metrics.samplesPerSecond / bareSamplesPerSecond };
}

if (values.backend !== undefined) {
  // Child mode: one backend, result as JSON on stdout.
  const result = await measure(values.backend as BackendName);
  process.stdout.write(JSON.stringify(result));
} else {
  const results: BackendResult[] = [];
  const unavailable: string[] = [];
  for (const backend of BACKEND_NAMES) {
    try {
      const args = [import.meta.filename, '--backend', backend, '--epochs', String(epochs), ...(smoke ? ['--smoke'] : [])];
      results.push(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as BackendResult);
    } catch (error) {
      unavailable.push(`${backend}: ${String((error as { stderr?: string }).stderr ?? error).split('\n').find((line) => /^\w*Error:/.test(line)) ?? 'failed'}`);
    }
  }
  console.log(`train: MNIST mlp (784-200-200-10), adam, batch 32, ${epochs} epoch(s)${smoke ? ' (smoke)' : ''}`);
  console.log('backend      ours samples/s   bare model.fit samples/s   ours/bare');
  for (const r of results) {
    console.log(`${r.backend.padEnd(12)} ${r.oursSamplesPerSecond.toFixed(0).padStart(15)} ${r.bareSamplesPerSecond.toFixed(0).padStart(26)} ${r.ratio.toFixed(3).padStart(11)}`);
  }
  for (const line of unavailable) console.log(`unavailable: ${line}`);
  const out = { bench: 'train', date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, epochs, smoke, results, unavailable };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', smoke ? 'train.smoke.json' : 'train.json'), `${JSON.stringify(out, null, 2)}\n`);
}
