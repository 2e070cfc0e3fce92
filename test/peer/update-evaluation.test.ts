/**
 * Update evaluation before averaging through the learner, on real deltas and real validation rows:
 * a poisoned delta is left out, honest IID ones are kept, and — the documented weakness — an honest
 * delta trained on one digit only (label skew) is left out too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { decodeWeights, encodeWeights } from '../../node/learn/weights/index.ts';
import { Learner, type OfferedDelta } from '../../node/peer/learner.ts';
import { parseTaskManifest, TaskManifestError } from '../../node/task/manifest.ts';
import { testTask } from '../federation/helpers.ts';

let iid: Dataset;
let onlyZeros: Dataset;
let validation: Dataset;

function learner(data: Dataset, aggregation: Record<string, unknown>, seed = 'update-evaluation'): Promise<Learner> {
  return Learner.create({
    task: testTask({ model: { preset: 'logreg', seed: 1 }, aggregation, encoding: 'f32', training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 20 } }),
    model: { kind: 'preset', preset: 'logreg' },
    shape: { featureCount: 784, classCount: 10 },
    data,
    validation,
    seed,
  });
}

beforeAll(async () => {
  await selectBackend();
  const { train } = await mnistSplit();
  iid = subset(train, Array.from({ length: 200 }, (_, i) => i));
  validation = subset(train, Array.from({ length: 300 }, (_, i) => 1000 + i));
  const zeros = Array.from({ length: 3000 }, (_, i) => i).filter((i) => train.labels[i] === 0).slice(0, 200);
  onlyZeros = subset(train, zeros);
});

async function honestDeltas(genesis: Uint8Array): Promise<OfferedDelta[]> {
  const trainer = await learner(iid, { strategy: 'fedavg' });
  const deltas: OfferedDelta[] = [];
  for (const round of [1, 2, 3]) {
    const trained = await trainer.train(genesis, round);
    deltas.push({ from: `honest-${round}`, blob: trained.blob, samples: trained.samples });
  }
  trainer.dispose();
  return deltas;
}

describe('update evaluation before averaging', () => {
  it('leaves out a poisoned delta and keeps the honest ones; without the option nothing is screened', async () => {
    const curator = await learner(iid, { strategy: 'median', validationLossMargin: 0.5 });
    const genesis = curator.genesisBlob();
    const honest = await honestDeltas(genesis);
    const { manifest, values } = decodeWeights(honest[0]!.blob);
    const poisoned = { from: 'poisoned', blob: encodeWeights({ manifest, values: values.map((v) => -20 * v) }, 'f32'), samples: 200 };
    const screened = await curator.screenUpdates(genesis, [...honest, poisoned]);
    expect(screened.kept.map((d) => d.from)).toEqual(['honest-1', 'honest-2', 'honest-3']);
    expect(screened.dropped.map((d) => d.from)).toEqual(['poisoned']);
    expect(screened.dropped[0]!.reason).toMatch(/^update evaluation: validation loss \d+\.\d+ exceeds the median \d\.\d+ by more than 0\.5$/);
    curator.dispose();

    const plain = await learner(iid, { strategy: 'median' });
    expect((await plain.screenUpdates(genesis, [...honest, poisoned])).kept).toHaveLength(4);
    plain.dispose();
  });

  it('is weak under label skew: an honest delta trained on zeros only is left out as well', async () => {
    const curator = await learner(iid, { strategy: 'fedavg', validationLossMargin: 0.5 });
    const genesis = curator.genesisBlob();
    const skewedTrainer = await learner(onlyZeros, { strategy: 'fedavg' }, 'zeros');
    const skewed = await skewedTrainer.train(genesis, 1);
    skewedTrainer.dispose();
    const screened = await curator.screenUpdates(genesis, [...(await honestDeltas(genesis)), { from: 'zeros-only', blob: skewed.blob, samples: skewed.samples }]);
    expect(screened.dropped.map((d) => d.from)).toEqual(['zeros-only']);
    curator.dispose();
  });

  it('reads validationLossMargin for every strategy, a number ≥ 0', () => {
    const yaml = (margin: string) => `version: 1\nid: screened\nmodel: { preset: logreg }\ndata: { builtin: mnist }\nstopping: { rounds: 3 }\naggregation: { strategy: trimmed-mean, validationLossMargin: ${margin} }\n`;
    expect(parseTaskManifest(yaml('0.25'), 'x').aggregation).toEqual({ strategy: 'trimmed-mean', trimFraction: 0.1, validationLossMargin: 0.25 });
    expect(() => parseTaskManifest(yaml('-1'), 'x')).toThrow(TaskManifestError);
    try {
      parseTaskManifest(yaml('-1'), 'x');
    } catch (error) {
      expect((error as TaskManifestError).problems).toEqual(['aggregation.validationLossMargin: must be a number ≥ 0, got -1']);
    }
  });
});
