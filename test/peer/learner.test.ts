import { beforeAll, describe, expect, it } from 'vitest';
import { clippedGossipMerge } from '../../node/aggregate/index.ts';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { decodeWeights, encodeWeights } from '../../node/learn/weights/index.ts';
import { Learner } from '../../node/peer/learner.ts';
import { ModelSlot } from '../../node/peer/model-slot.ts';
import { testTask } from '../federation/helpers.ts';

let data: Dataset;

beforeAll(async () => {
  await selectBackend();
  const { train } = await mnistSplit();
  data = subset(train, Array.from({ length: 100 }, (_, i) => i));
});

async function learner(overrides: Record<string, unknown> = {}): Promise<Learner> {
  return Learner.create({ task: testTask(overrides), model: { kind: 'preset', preset: 'logreg' }, shape: { featureCount: 784, classCount: 10 }, data, seed: 'learner-test' });
}

describe('learner', () => {
  it('validates every delta before aggregating and says why each one was refused', async () => {
    const peer = await learner({ model: { preset: 'logreg', seed: 1 }, aggregation: { strategy: 'fedavg', maxDeltaNorm: 5 } });
    const base = peer.genesisBlob();
    const good = await peer.train(base, 1);
    const manifest = decodeWeights(good.blob).manifest;
    const values = new Float32Array(decodeWeights(good.blob).values.length);
    const withNaN = values.slice();
    withNaN[7] = Number.NaN;
    const huge = values.map(() => 1);
    const otherShape = encodeWeights({ manifest: { tensors: [{ name: 'output/kernel', shape: [3], dtype: 'float32' }] }, values: new Float32Array(3) }, 'f32');
    const result = peer.aggregate(base, [
      { from: 'good', blob: good.blob, samples: good.samples },
      { from: 'nan', blob: encodeWeights({ manifest, values: withNaN }, 'f32'), samples: 10 },
      { from: 'huge', blob: encodeWeights({ manifest, values: huge }, 'f32'), samples: 10 },
      { from: 'shape', blob: otherShape, samples: 10 },
      { from: 'garbage', blob: Uint8Array.from([1, 2, 3]), samples: 10 },
      { from: 'nosamples', blob: good.blob, samples: 0 },
    ]);
    expect(result.accepted.map((d) => d.from)).toEqual(['good']);
    const reasons = Object.fromEntries(result.rejected.map((r) => [r.from, r.reason]));
    expect(reasons['nan']).toBe('value 7 is not finite');
    expect(reasons['huge']).toMatch(/^L2 norm 88\.\d+ exceeds the task's bound 5$/);
    expect(reasons['shape']).toMatch(/^undecodable: /);
    expect(reasons['garbage']).toMatch(/^undecodable: /);
    expect(reasons['nosamples']).toBe('claims 0 samples');
    // With only the good delta, FedAvg's result is base + delta (up to the f16 rounding of the version's patch).
    const next = decodeWeights(result.blob).values;
    const expected = decodeWeights(base).values.map((w, i) => w + decodeWeights(good.blob).values[i]!);
    expect(Math.max(...next.map((w, i) => Math.abs(w - expected[i]!)))).toBeLessThan(1e-5);
    peer.dispose();
  });

  it('makes a patch from which a peer holding the parent rebuilds the version bit for bit', async () => {
    const peer = await learner({ model: { preset: 'logreg', seed: 1 } });
    const other = await learner({ model: { preset: 'logreg', seed: 1 } });
    const v0 = peer.genesisBlob();
    const d1 = await peer.train(v0, 1);
    const d2 = await other.train(v0, 1);
    const result = peer.aggregate(v0, [
      { from: 'a', blob: d1.blob, samples: d1.samples },
      { from: 'b', blob: d2.blob, samples: 3 },
    ]);
    const patch = result.patch!;
    // The patch is f16: about half the f32 version.
    expect(patch.byteLength).toBeLessThan(result.blob.byteLength * 0.55);
    expect(Buffer.from(other.applyPatch(v0, patch)).equals(Buffer.from(result.blob))).toBe(true);
    // The version stays within f16 rounding of the exact FedAvg average.
    const exact = decodeWeights(v0).values.map((w, i) => w + (decodeWeights(d1.blob).values[i]! * d1.samples + decodeWeights(d2.blob).values[i]! * 3) / (d1.samples + 3));
    const made = decodeWeights(result.blob).values;
    const step = Math.max(...made.map((w, i) => Math.abs(w - exact[i]!)));
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(1e-5);
    // Applied to another parent it makes another version; a non-patch is refused with a reason.
    const v1 = result.blob;
    expect(Buffer.from(other.applyPatch(v1, patch)).equals(Buffer.from(v1))).toBe(false);
    expect(() => other.applyPatch(v0, Uint8Array.from([1, 2, 3]))).toThrow(/./);
    peer.dispose();
    other.dispose();
  });

  it('makes no patch for versions that carry server optimizer state, nor when deltas travel as f32', async () => {
    const peer = await learner({ model: { preset: 'logreg', seed: 1 }, aggregation: { strategy: 'fedadam' } });
    const v0 = peer.genesisBlob();
    const d1 = await peer.train(v0, 1);
    const result = peer.aggregate(v0, [{ from: 'a', blob: d1.blob, samples: d1.samples }]);
    expect(result.patch).toBeUndefined();
    expect(() => peer.applyPatch(result.blob, d1.blob)).toThrow(/server state/);
    peer.dispose();
    const exact = await learner({ model: { preset: 'logreg', seed: 1 }, encoding: 'f32' });
    const d2 = await exact.train(v0, 1);
    expect(exact.aggregate(v0, [{ from: 'a', blob: d2.blob, samples: d2.samples }]).patch).toBeUndefined();
    exact.dispose();
  });

  it('carries the server optimizer state inside versions from curator to curator', async () => {
    const peer = await learner({ model: { preset: 'logreg', seed: 1 }, aggregation: { strategy: 'fedavgm', momentum: 0.9, serverLearningRate: 1 } });
    const v0 = peer.genesisBlob();
    const d1 = await peer.train(v0, 1);
    const v1 = peer.aggregate(v0, [{ from: 'a', blob: d1.blob, samples: d1.samples }]).blob;
    const tensors = decodeWeights(v1).manifest.tensors.map((t) => t.name);
    expect(tensors).toEqual(['output/kernel', 'output/bias', 'server-state/0', 'round/1']);
    // The momentum stored in v1 is the first mean delta; the second step adds 0.9 of it again.
    const d2 = await peer.train(v1, 2);
    const v2 = decodeWeights(peer.aggregate(v1, [{ from: 'a', blob: d2.blob, samples: d2.samples }]).blob).values;
    const n = decodeWeights(d1.blob).values.length;
    const [w1, m1, delta2] = [decodeWeights(v1).values, decodeWeights(v1).values.subarray(n), decodeWeights(d2.blob).values];
    for (const i of [0, 100, n - 1]) expect(v2[i]).toBeCloseTo(w1[i]! + 0.9 * m1[i]! + delta2[i]!, 5);
    peer.dispose();
  });

  it('trains round r at learningRate / (1 + learningRateDecay · (r − 1))', async () => {
    const training = { optimizer: 'sgd', learningRate: 0.05, batchSize: 25 };
    const decaying = await learner({ training: { ...training, learningRateDecay: 1 } });
    const steady = await learner({ training });
    const base = decaying.genesisBlob();
    const norm = (blob: Uint8Array) => Math.hypot(...decodeWeights(blob).values);
    // Same round, same shuffle: only the rate differs. Round 1 is undecayed; round 11 runs at 1/11.
    expect(norm((await decaying.train(base, 1)).blob)).toBeCloseTo(norm((await steady.train(base, 1)).blob), 5);
    const ratio = norm((await decaying.train(base, 11)).blob) / norm((await steady.train(base, 11)).blob);
    expect(ratio).toBeGreaterThan(0.8 / 11);
    expect(ratio).toBeLessThan(1.2 / 11);
    decaying.dispose();
    steady.dispose();
  });

  it('merges same-round versions by sample weight', async () => {
    const peer = await learner();
    const a = peer.genesisBlob();
    const trained = await peer.trainModel(a, 1);
    const merged = decodeWeights(peer.merge([{ blob: a, samples: 3 }, { blob: trained.blob, samples: 1 }], 1)).values;
    const [va, vb] = [decodeWeights(a).values, decodeWeights(trained.blob).values];
    for (const i of [0, 5000, va.length - 1]) expect(merged[i]).toBeCloseTo(0.75 * va[i]! + 0.25 * vb[i]!, 6);
    peer.dispose();
  });

  it('merges gossip neighbours by clipped gossip around its own model (leaves[0]) when the task sets gossip.clipRadius', async () => {
    const peer = await learner({ mode: 'gossip', gossip: { neighbours: 2, clipRadius: 0.1 } });
    const own = peer.genesisBlob();
    const trained = (await peer.trainModel(own, 1)).blob;
    const { manifest, values } = decodeWeights(trained);
    const far = encodeWeights({ manifest, values: values.map((v) => 100 * v) }, 'f32');
    const weightsOf = (blob: Uint8Array) => decodeWeights(blob).values.subarray(0, decodeWeights(own).values.length);
    const merged = weightsOf(peer.merge([{ blob: own, samples: 1 }, { blob: trained, samples: 500 }, { blob: far, samples: 1 }], 1));
    const expected = clippedGossipMerge([own, trained, far].map((blob) => ({ weights: weightsOf(blob) })), 0.1);
    expect(merged).toEqual(expected.weights);
    // Both neighbours are farther than τ: each moves the own model by exactly τ/3, whatever its claimed age.
    expect(expected.neighbours.map((n) => n.coefficient * n.distance)).toEqual([expect.closeTo(0.1 / 3, 9), expect.closeTo(0.1 / 3, 9)]);
    // The centre is the first leaf: the same leaves with another first give another model.
    expect(weightsOf(peer.merge([{ blob: far, samples: 1 }, { blob: own, samples: 1 }, { blob: trained, samples: 500 }], 1))).not.toEqual(merged);
    peer.dispose();
  });

  it('lets many peers share one model: concurrent training takes turns and gives what separate models give', async () => {
    const task = testTask({ model: { preset: 'logreg', seed: 4 } });
    const shape = { featureCount: 784, classCount: 10 };
    const halves = [subset(data, Array.from({ length: 50 }, (_, i) => i)), subset(data, Array.from({ length: 50 }, (_, i) => 50 + i))];
    const slot = await ModelSlot.create({ kind: 'preset', preset: 'logreg' }, shape, 4);
    const shared = halves.map((half, i) => Learner.sharing(slot, { task, model: { kind: 'preset', preset: 'logreg' }, shape, data: half, seed: `peer ${i}` }));
    const alone = await Promise.all(halves.map((half, i) => Learner.create({ task, model: { kind: 'preset', preset: 'logreg' }, shape, data: half, seed: `peer ${i}` })));
    const base = shared[0]!.genesisBlob();
    expect(alone[0]!.genesisBlob()).toEqual(base);
    const together = await Promise.all(shared.map((learner) => learner.train(base, 1)));
    const apart = [await alone[0]!.train(base, 1), await alone[1]!.train(base, 1)];
    expect(together.map((d) => d.blob)).toEqual(apart.map((d) => d.blob));
    expect(together[0]!.blob).not.toEqual(together[1]!.blob);
    for (const learner of [...shared, ...alone]) learner.dispose();
    slot.dispose();
  });
});
