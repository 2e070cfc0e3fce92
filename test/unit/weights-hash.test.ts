import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import { encodeManifest, flatten, hashWeights, type FlatWeights } from '../../node/learn/weights/index.ts';

function randomFlat(seed: number): FlatWeights {
  const rng = new Rng(seed);
  const make = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return flatten([
    { name: 'layer0/kernel', shape: [8, 5], values: make(40) },
    { name: 'layer0/bias', shape: [5], values: make(5) },
    { name: 'layer1/kernel', shape: [5, 2], values: make(10) },
  ]);
}

function copy(flat: FlatWeights): FlatWeights {
  return { manifest: structuredClone(flat.manifest), values: flat.values.slice() };
}

describe('hashWeights', () => {
  it('matches the documented known-answer vector', () => {
    const flat = flatten([{ name: 'w', shape: [2], values: new Float32Array([1, -2]) }]);
    const bytes = Buffer.from('01000000' + '0100' + '77' + '01' + '01' + '02000000' + '0000803f' + '000000c0', 'hex');
    expect(Buffer.from(encodeManifest(flat.manifest))).toEqual(bytes.subarray(0, 13));
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(expected).toBe('a59d3813702ef61ac8e21b8734376add82cb4424f7ae3eba221ea5e5865eddb0');
    expect(hashWeights(flat)).toBe(expected);
  });

  it('is a deterministic 64-digit hex string', () => {
    const h = hashWeights(randomFlat(7));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashWeights(randomFlat(7))).toBe(h);
    expect(hashWeights(copy(randomFlat(7)))).toBe(h);
    expect(hashWeights(randomFlat(8))).not.toBe(h);
  });

  it('ignores object key order and how the values buffer is laid out', () => {
    const flat = randomFlat(9);
    const reordered: FlatWeights = {
      values: flat.values,
      manifest: { tensors: flat.manifest.tensors.map((t) => ({ dtype: t.dtype, shape: [...t.shape], name: t.name })) },
    };
    expect(hashWeights(reordered)).toBe(hashWeights(flat));
    const big = new Float32Array(flat.values.length + 3);
    big.set(flat.values, 3);
    expect(hashWeights({ manifest: flat.manifest, values: big.subarray(3) })).toBe(hashWeights(flat));
  });

  it('changes when a name changes', () => {
    const flat = randomFlat(10);
    const renamed = copy(flat);
    renamed.manifest.tensors[1]!.name = 'layer0/Bias';
    expect(hashWeights(renamed)).not.toBe(hashWeights(flat));
  });

  it('changes when a shape changes but the values do not', () => {
    const flat = randomFlat(11);
    const reshaped = copy(flat);
    reshaped.manifest.tensors[0]!.shape = [5, 8];
    expect(hashWeights(reshaped)).not.toBe(hashWeights(flat));
    // Moving a tensor boundary keeps every value in place but must also change the hash.
    const values = new Float32Array([1, 2, 3, 4, 5]);
    const split23 = flatten([{ name: 'a', shape: [2], values: values.subarray(0, 2) }, { name: 'b', shape: [3], values: values.subarray(2) }]);
    const split32 = flatten([{ name: 'a', shape: [3], values: values.subarray(0, 3) }, { name: 'b', shape: [2], values: values.subarray(3) }]);
    expect(hashWeights(split23)).not.toBe(hashWeights(split32));
  });

  it('changes when any single bit of any value flips', () => {
    const flat = randomFlat(12);
    const base = hashWeights(flat);
    const rng = new Rng('bits');
    const seen = new Set([base]);
    for (let trial = 0; trial < 64; trial++) {
      const mutated = copy(flat);
      const bits = new Uint32Array(mutated.values.buffer);
      bits[rng.int(bits.length)]! ^= 1 << rng.int(32);
      const h = hashWeights(mutated);
      expect(h).not.toBe(base);
      seen.add(h);
    }
    expect(seen.size).toBeGreaterThan(60); // flips at distinct positions give distinct hashes
  });

  it('distinguishes 0 from -0', () => {
    const pos = flatten([{ name: 'z', shape: [1], values: new Float32Array([0]) }]);
    const neg = flatten([{ name: 'z', shape: [1], values: new Float32Array([-0]) }]);
    expect(hashWeights(pos)).not.toBe(hashWeights(neg));
  });
});
