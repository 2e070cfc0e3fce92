/**
 * A version blob pulled from another peer is checked in full before anything uses it (PROTOCOL
 * §3.7). Issue 11: one advert for a version whose blob held NaN weights stopped every peer for
 * good ("int8 cannot encode NaN" at each training), and a `server-state/0` of the wrong shape
 * passed and turned the next fedavgm rounds to NaN.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../../node/learn/weights/index.ts';
import { Learner } from '../../node/peer/learner.ts';
import { testTask } from '../federation/helpers.ts';

let data: Dataset;

beforeAll(async () => {
  await selectBackend();
  const { train } = await mnistSplit();
  data = subset(train, Array.from({ length: 50 }, (_, i) => i));
});

function learner(aggregation: Record<string, unknown> = { strategy: 'fedavg' }): Promise<Learner> {
  return Learner.create({
    task: testTask({ model: { preset: 'logreg', seed: 1 }, aggregation }),
    model: { kind: 'preset', preset: 'logreg' },
    shape: { featureCount: 784, classCount: 10 },
    data,
    seed: 'version-blob-test',
  });
}

function reason(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect((error as Error).name).toBe('InvalidVersionError');
    return (error as Error).message;
  }
  throw new Error('the version was accepted');
}

describe('version blobs are checked in full', () => {
  it('refuses non-finite weights, saying which value, and training never sees them', async () => {
    const peer = await learner();
    const genesis = decodeWeights(peer.genesisBlob());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = genesis.values.slice();
      values[4321] = bad;
      const blob = encodeWeights({ manifest: genesis.manifest, values }, 'f32');
      expect(reason(() => peer.checkVersion(blob))).toBe(`weight 4321 of the version is ${bad}; every value must be finite`);
      await expect(peer.train(blob, 1)).rejects.toMatchObject({ name: 'InvalidVersionError' });
    }
    peer.checkVersion(peer.genesisBlob()); // the honest one passes
    peer.dispose();
  });

  it('refuses server state of the wrong shape, count or name, and non-finite state', async () => {
    const peer = await learner({ strategy: 'fedavgm', momentum: 0.9, serverLearningRate: 1 });
    const genesis = decodeWeights(peer.genesisBlob());
    const n = genesis.values.length;
    const withState = (state: { name: string; length: number; fill?: number }[]) => {
      const manifest: WeightsManifest = {
        tensors: [...genesis.manifest.tensors.slice(0, -1), ...state.map((s) => ({ name: s.name, shape: [s.length], dtype: 'float32' as const })), { name: 'round/0', shape: [0], dtype: 'float32' }],
      };
      const values = new Float32Array(n + state.reduce((sum, s) => sum + s.length, 0));
      values.set(genesis.values);
      let offset = n;
      for (const s of state) {
        values.fill(s.fill ?? 0, offset, offset + s.length);
        offset += s.length;
      }
      return encodeWeights({ manifest, values }, 'f32');
    };
    peer.checkVersion(withState([{ name: 'server-state/0', length: n }]));
    expect(reason(() => peer.checkVersion(withState([{ name: 'server-state/0', length: 10 }])))).toBe(`state tensor 0 of the version is server-state/0 [10]; expected server-state/0 [${n}]`);
    expect(reason(() => peer.checkVersion(withState([{ name: 'server-state/1', length: n }])))).toMatch(/^state tensor 0 of the version is server-state\/1/);
    expect(reason(() => peer.checkVersion(withState([{ name: 'server-state/0', length: n }, { name: 'server-state/1', length: n }])))).toBe('the version carries 2 server-state tensors; this task\'s strategy keeps 1');
    expect(reason(() => peer.checkVersion(withState([{ name: 'server-state/0', length: n, fill: Number.NaN }])))).toBe('server-state/0 value 0 of the version is NaN; every value must be finite');
    // The wrong-shape state used to reach the optimizer: aggregating onto it must refuse, not produce NaN.
    const trained = await peer.train(peer.genesisBlob(), 1);
    expect(() => peer.aggregate(withState([{ name: 'server-state/0', length: 10 }]), [{ from: 'a', blob: trained.blob, samples: 5 }])).toThrow(/state tensor 0/);
    peer.dispose();
  });

  it('refuses a model of another shape, an encoding other than f32, and bytes that are not weights', async () => {
    const peer = await learner();
    const genesis = decodeWeights(peer.genesisBlob());
    const other = encodeWeights({ manifest: { tensors: [{ name: 'output/kernel', shape: [3], dtype: 'float32' }, { name: 'round/0', shape: [0], dtype: 'float32' }] }, values: new Float32Array(3) }, 'f32');
    expect(reason(() => peer.checkVersion(other))).toBe('tensor 0 of the version is output/kernel [3]; this task\'s model has output/kernel [784, 10]');
    expect(reason(() => peer.checkVersion(encodeWeights(genesis, 'f16')))).toBe('the version is not f32-encoded; versions always are');
    expect(reason(() => peer.checkVersion(Uint8Array.from([1, 2, 3])))).toMatch(/^the version is not a weights blob: /);
    peer.dispose();
  });

  it('tags every version with its round: equal weights in two rounds are two blobs, and a blob must be of the round advertised', async () => {
    const peer = await learner();
    const genesis = peer.genesisBlob();
    expect(decodeWeights(genesis).manifest.tensors.at(-1)).toEqual({ name: 'round/0', shape: [0], dtype: 'float32' });
    // A round whose only delta is zero: the aggregate's weights equal its parent's, its blob does not.
    const zero = decodeWeights((await peer.train(genesis, 1)).blob);
    const round1 = peer.aggregate(genesis, [{ from: 'a', blob: encodeWeights({ manifest: zero.manifest, values: new Float32Array(zero.values.length) }, 'int8'), samples: 5 }]).blob;
    expect(decodeWeights(round1).values).toEqual(decodeWeights(genesis).values);
    expect(Buffer.from(round1).equals(Buffer.from(genesis))).toBe(false);
    peer.checkVersion(round1, 1);
    expect(reason(() => peer.checkVersion(round1, 2))).toBe('the version is tagged round 1, advertised as round 2');
    expect(reason(() => peer.checkVersion(genesis, 5))).toBe('the version is tagged round 0, advertised as round 5');
    // Untagged, or tagged with something that is not a round.
    const untagged = { manifest: { tensors: decodeWeights(genesis).manifest.tensors.slice(0, -1) }, values: decodeWeights(genesis).values };
    expect(reason(() => peer.checkVersion(encodeWeights(untagged, 'f32')))).toBe('the version\'s last tensor must be its round tag round/<r> of shape [0]; it is missing');
    for (const name of ['round/01', 'round/-1', 'round/1e3', 'round/99999999999999999']) {
      const bad = encodeWeights({ manifest: { tensors: [...untagged.manifest.tensors, { name, shape: [0], dtype: 'float32' }] }, values: untagged.values }, 'f32');
      expect(reason(() => peer.checkVersion(bad)), name).toMatch(/round tag/);
    }
    peer.dispose();
  });
});
