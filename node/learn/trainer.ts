/**
 * Local training and evaluation on one peer's data. Shuffling uses our seeded Rng (not
 * TF.js's Math.random), so a run is reproducible from its seed on a given backend.
 */
import { GossipflError } from '../errors.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from './data/dataset.ts';
import { inputTensor } from './model.ts';
import type { Rng } from './rng.ts';

export const OPTIMIZERS = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface TrainingPlan {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly optimizer: OptimizerName;
  /**
   * Inverse-time decay per round: round r trains at learningRate / (1 + decay · (r − 1)).
   * Absent means 0 (the same rate every round).
   */
  readonly learningRateDecay?: number;
}

export interface TrainMetrics {
  /** Mean training loss and accuracy over the last epoch. */
  readonly loss: number;
  readonly accuracy: number;
  /** Samples held locally (the FedAvg weight), not samples × epochs. */
  readonly samples: number;
  readonly seconds: number;
  /** Samples processed per second, counting every epoch. */
  readonly samplesPerSecond: number;
}

export interface EvalMetrics {
  readonly loss: number;
  readonly accuracy: number;
  readonly samples: number;
}

export class TrainingError extends GossipflError {
  override name = 'TrainingError';
}

/**
 * Training was stopped by its AbortSignal (the peer is stopping), not failed: the model holds
 * the weights of the batches done so far and can be used, but the round's result is dropped.
 */
export class TrainingAbortedError extends GossipflError {
  override name = 'TrainingAbortedError';
  /** Batches trained (over all epochs) before the stop. */
  readonly batchesDone: number;

  constructor(dataset: string, batchesDone: number, signal: AbortSignal | undefined) {
    const cause: unknown = signal?.reason;
    const reason = cause instanceof Error ? ` (${cause.message})` : '';
    super(`training on ${dataset} stopped after ${batchesDone} batches: its signal was aborted${reason}`, { cause });
    this.batchesDone = batchesDone;
  }
}

/** Every problem with a plan, as readable sentences; empty when the plan is valid. */
export function planProblems(plan: TrainingPlan): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(plan.epochs) || plan.epochs < 1) problems.push(`epochs must be a whole number ≥ 1, got ${plan.epochs}`);
  if (!Number.isInteger(plan.batchSize) || plan.batchSize < 1) problems.push(`batchSize must be a whole number ≥ 1, got ${plan.batchSize}`);
  if (!(plan.learningRate > 0) || !Number.isFinite(plan.learningRate)) problems.push(`learningRate must be a positive number, got ${plan.learningRate}`);
  const decay = plan.learningRateDecay;
  if (decay !== undefined && !(decay >= 0 && Number.isFinite(decay))) problems.push(`learningRateDecay must be a finite number ≥ 0, got ${decay}`);
  if (!OPTIMIZERS.includes(plan.optimizer)) problems.push(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(plan.optimizer)}`);
  return problems;
}

/**
 * The plan a peer trains round `round` with (rounds count from 1): the task's plan at the
 * round's learning rate. Decaying steps keep later local updates small, so models trained on
 * skewed local data drift less from what they merged (the step sizes of Hegedűs et al.'s
 * learners also shrink over time).
 */
export function planForRound(plan: TrainingPlan, round: number): TrainingPlan {
  const decay = plan.learningRateDecay ?? 0;
  if (decay === 0) return plan;
  return { ...plan, learningRate: plan.learningRate / (1 + decay * Math.max(0, round - 1)) };
}

function makeOptimizer(plan: TrainingPlan): tf.Optimizer {
  switch (plan.optimizer) {
    case 'sgd':
      return tf.train.sgd(plan.learningRate);
    case 'adam':
      return tf.train.adam(plan.learningRate);
    default: {
      const unknown: never = plan.optimizer;
      throw new TrainingError(`unknown optimizer ${String(unknown)}`);
    }
  }
}

/**
 * Rows per model.fit call: a multiple of the batch size holding about 2^20 feature values
 * (4 MiB), so that no step between two checks of the stop signal copies or uploads the whole
 * dataset (on a 200 MB CSV that took 8 s with the CPU loaded, deaf to Ctrl-C).
 */
export function rowsPerChunk(featureCount: number, batchSize: number): number {
  return Math.max(1, Math.floor(2 ** 20 / Math.max(1, featureCount) / batchSize)) * batchSize;
}

/**
 * Trains the model in place on the dataset, starting from whatever weights it holds, with a
 * fresh optimizer (optimizer state does not carry across rounds). Returns last-epoch metrics.
 *
 * Each epoch visits the rows in a seeded shuffled order, batch by batch, fed to TF.js in chunks
 * of whole batches (rowsPerChunk): the same updates as one fit over the epoch. `signal` is
 * checked after every batch and between chunks: once it is aborted, training ends after the
 * batch in progress and the promise rejects with TrainingAbortedError; the model stays usable.
 * The event loop gets a turn between chunks and at least every 125 ms within one (TF.js's
 * yieldEvery 'auto'), so a peer keeps serving its network and its signal handlers.
 */
export async function trainLocal(model: LayersModel, dataset: Dataset, plan: TrainingPlan, rng: Rng, signal?: AbortSignal): Promise<TrainMetrics> {
  const problems = planProblems(plan);
  if (problems.length > 0) throw new TrainingError(`invalid training plan: ${problems.join('; ')}`);
  if (dataset.size === 0) throw new TrainingError(`${dataset.name}: no samples to train on`);
  let batches = 0;
  // A function, not a property read: TypeScript would keep `aborted` narrowed to false.
  const stopRequested = (): boolean => signal?.aborted === true;
  const stopIfRequested = () => {
    if (stopRequested()) throw new TrainingAbortedError(dataset.name, batches, signal);
  };
  stopIfRequested();
  const optimizer = makeOptimizer(plan);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const width = dataset.featureCount;
  const chunkRows = rowsPerChunk(width, plan.batchSize);
  const onBatchEnd = () => {
    batches++;
    // fit checks the flag after each batch; it clears it when the next fit starts.
    if (stopRequested()) model.stopTraining = true;
  };
  const started = performance.now();
  let loss = Number.NaN;
  let accuracy = Number.NaN;
  try {
    for (let epoch = 0; epoch < plan.epochs; epoch++) {
      stopIfRequested();
      const order = rng.permutation(dataset.size);
      let lossSum = 0;
      let accuracySum = 0;
      for (let first = 0; first < dataset.size; first += chunkRows) {
        await tf.nextFrame();
        stopIfRequested();
        // Shuffled in JavaScript, straight into the tensors' source arrays: a tf.gather of the
        // whole dataset each epoch cost about 6% of a wasm run (bench/train.bench.ts).
        const rows = Math.min(chunkRows, dataset.size - first);
        const features = new Float32Array(rows * width);
        const labels = new Int32Array(rows);
        for (let row = 0; row < rows; row++) {
          const from = order[first + row] as number;
          features.set(dataset.features.subarray(from * width, (from + 1) * width), row * width);
          labels[row] = dataset.labels[from] as number;
        }
        const xs = inputTensor(model, features, rows);
        const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.classCount));
        try {
          const history = await model.fit(xs, ys, { epochs: 1, batchSize: plan.batchSize, shuffle: false, verbose: 0, callbacks: { onBatchEnd } });
          stopIfRequested();
          // fit's epoch metrics are means over its rows: weighted by rows, they add up to the epoch's.
          lossSum += Number(history.history['loss']?.[0]) * rows;
          accuracySum += Number(history.history['acc']?.[0] ?? history.history['accuracy']?.[0]) * rows;
        } finally {
          tf.dispose([xs, ys]);
        }
      }
      loss = lossSum / dataset.size;
      accuracy = accuracySum / dataset.size;
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return { loss, accuracy, samples: dataset.size, seconds, samplesPerSecond: (dataset.size * plan.epochs) / seconds };
}

/** Mean categorical cross-entropy and accuracy of the model on the dataset, in batches. */
export function evaluate(model: LayersModel, dataset: Dataset, batchSize = 1000): EvalMetrics {
  if (dataset.size === 0) throw new TrainingError(`${dataset.name}: no samples to evaluate on`);
  let lossSum = 0;
  let correct = 0;
  const width = dataset.featureCount;
  for (let start = 0; start < dataset.size; start += batchSize) {
    const rows = Math.min(batchSize, dataset.size - start);
    const labels = dataset.labels.subarray(start, start + rows);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const x = inputTensor(model, dataset.features.subarray(start * width, (start + rows) * width), rows);
      const probabilities = model.predict(x) as tf.Tensor;
      const truth = tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.classCount);
      const clipped = tf.clipByValue(probabilities, 1e-7, 1 - 1e-7);
      const loss = tf.neg(tf.sum(tf.mul(truth, tf.log(clipped))));
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(probabilities, 1), tf.tensor1d(labels, 'int32')), 'int32'));
      return [loss.dataSync()[0] as number, hits.dataSync()[0] as number];
    });
    lossSum += batchLoss;
    correct += batchCorrect;
  }
  return { loss: lossSum / dataset.size, accuracy: correct / dataset.size, samples: dataset.size };
}
