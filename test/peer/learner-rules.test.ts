/**
 * Every registered rule through the learner, on real trained and encoded deltas: the version is
 * the rule's arithmetic on the decoded deltas exactly (f32 task), carries the rule's state
 * tensors, does not depend on the order deltas are offered in, and (for the robust rules) is not
 * dragged away by one poisoned delta.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_NAMES, strategyDefinition, type StrategyName } from '../../node/aggregate/index.ts';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { decodeWeights, encodeWeights } from '../../node/learn/weights/index.ts';
import { Learner, type OfferedDelta } from '../../node/peer/learner.ts';
import { testTask } from '../federation/helpers.ts';

let data: Dataset;
let genesis: Uint8Array;
let honest: OfferedDelta[];
let poisoned: OfferedDelta;

function learner(aggregation: Record<string, unknown>): Promise<Learner> {
  return Learner.create({
    task: testTask({ model: { preset: 'logreg', seed: 1 }, aggregation, encoding: 'f32' }),
    model: { kind: 'preset', preset: 'logreg' },
    shape: { featureCount: 784, classCount: 10 },
    data,
    seed: 'learner-rules',
  });
}

/** Parameters that fit 4 honest logreg deltas of one epoch on 100 digits (L2 norms 0.58) and one poisoned delta (τ just above them). */
const PARAMETERS: Partial<Record<StrategyName, Record<string, unknown>>> = {
  'trimmed-mean': { trimFraction: 0.2 },
  'multi-krum': { byzantine: 1, select: 2 },
  'centered-clipping': { clipRadius: 0.6, iterations: 2 },
  'norm-clipping': { clipNorm: 0.6 },
};
const ROBUST: readonly StrategyName[] = ['median', 'trimmed-mean', 'multi-krum', 'geometric-median', 'centered-clipping', 'norm-clipping'];

beforeAll(async () => {
  await selectBackend();
  const { train } = await mnistSplit();
  data = subset(train, Array.from({ length: 100 }, (_, i) => i));
  const trainer = await learner({ strategy: 'fedavg' });
  genesis = trainer.genesisBlob();
  // Different rounds shuffle differently: four distinct honest deltas (int8 on the wire, as by default).
  honest = [];
  for (const round of [1, 2, 3, 4]) {
    const trained = await trainer.train(genesis, round);
    honest.push({ from: `peer-${round}`, blob: trained.blob, samples: trained.samples });
  }
  const { manifest, values } = decodeWeights(honest[0]!.blob);
  // Claims as many samples as an honest peer: norm clipping weights by samples and so trusts them
  // (with 1,000 claimed samples and τ = 2 it lands 3.2 honest steps away).
  poisoned = { from: 'peer-0-poison', blob: encodeWeights({ manifest, values: values.map((v) => -50 * v) }, 'f32'), samples: 100 };
  trainer.dispose();
});

describe('each registered rule in the learner', () => {
  for (const name of STRATEGY_NAMES) {
    it(`${name}: the version is the rule applied to the decoded deltas, in any offer order`, async () => {
      const parameters = PARAMETERS[name] ?? {};
      const peer = await learner({ strategy: name, ...parameters });
      const offered = [...honest, poisoned];
      const result = peer.aggregate(genesis, offered);
      expect(result.accepted.map((d) => d.from)).toEqual(offered.map((d) => d.from).sort());
      const reversed = peer.aggregate(genesis, [...offered].reverse());
      expect(Buffer.from(reversed.blob).equals(Buffer.from(result.blob))).toBe(true);

      const version = decodeWeights(result.blob);
      const stateNames = version.manifest.tensors.map((t) => t.name).filter((n) => n.startsWith('server-state/'));
      expect(stateNames).toHaveLength(strategyDefinition(name).stateTensors);
      const base = decodeWeights(genesis).values;
      const contributions = [...offered].sort((a, b) => (a.from < b.from ? -1 : 1)).map((d) => ({ from: d.from, delta: decodeWeights(d.blob).values, samples: d.samples }));
      const expected = createStrategy(name, parameters).aggregate(base, contributions);
      expect(version.values.subarray(0, base.length)).toEqual(expected);
      peer.dispose();
    });
  }

  it('the robust rules stay near the honest FedAvg step with a poisoned delta among them; FedAvg does not', async () => {
    const fedavg = await learner({ strategy: 'fedavg' });
    const honestStep = decodeWeights(fedavg.aggregate(genesis, honest).blob).values;
    const base = decodeWeights(genesis).values;
    const stepNorm = Math.hypot(...honestStep.map((w, i) => w - base[i]!));
    const offBy = (blob: Uint8Array) => Math.hypot(...decodeWeights(blob).values.subarray(0, base.length).map((w, i) => w - honestStep[i]!)) / stepNorm;
    expect(offBy(fedavg.aggregate(genesis, [...honest, poisoned]).blob)).toBeGreaterThan(10);
    fedavg.dispose();
    for (const name of ROBUST) {
      const peer = await learner({ strategy: name, ...PARAMETERS[name] });
      expect({ name, off: offBy(peer.aggregate(genesis, [...honest, poisoned]).blob) < 1 }).toEqual({ name, off: true });
      peer.dispose();
    }
  });

  it('centered clipping carries its centre from curator to curator in the version', async () => {
    const peer = await learner({ strategy: 'centered-clipping', clipRadius: 2 });
    const v1 = peer.aggregate(genesis, honest).blob;
    const n = decodeWeights(genesis).values.length;
    const centre = decodeWeights(v1).values.slice(n, 2 * n);
    const other = await learner({ strategy: 'centered-clipping', clipRadius: 2 });
    const v2 = decodeWeights(other.aggregate(v1, honest.slice(0, 1)).blob).values;
    // One delta, L = 1, β = 0: v = c + clip(Δ − c, τ); the stored centre is v, the weights w1 + v.
    const delta = decodeWeights(honest[0]!.blob).values;
    const offset = Math.hypot(...delta.map((d, i) => d - centre[i]!));
    const factor = Math.min(1, 2 / offset);
    const w1 = decodeWeights(v1).values;
    for (const i of [0, 500, n - 1]) expect(v2[i]).toBeCloseTo(w1[i]! + centre[i]! + factor * (delta[i]! - centre[i]!), 5);
    peer.dispose();
    other.dispose();
  });
});
