import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  WeightsCodecError,
  flatten,
  layoutMismatch,
  parameterCount,
  sameLayout,
  tensorOffsets,
  unflatten,
  type NamedTensor,
  type WeightsManifest,
} from '../../node/learn/weights/index.ts';

function randomValues(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

function model(rng: Rng): NamedTensor[] {
  return [
    { name: 'dense/kernel', shape: [4, 3], values: randomValues(rng, 12) },
    { name: 'dense/bias', shape: [3], values: randomValues(rng, 3) },
    { name: 'scalar', shape: [], values: randomValues(rng, 1) },
    { name: 'empty', shape: [0, 5], values: new Float32Array(0) },
  ];
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof WeightsCodecError) {
      expect(error.name).toBe('WeightsCodecError');
      return error.code;
    }
    throw error;
  }
  return undefined;
}

describe('flatten / unflatten', () => {
  it('concatenates tensors in order and splits them back into views', () => {
    const named = model(new Rng(1));
    const flat = flatten(named);
    expect(flat.values.length).toBe(16);
    expect(flat.manifest.tensors.map((t) => t.name)).toEqual(['dense/kernel', 'dense/bias', 'scalar', 'empty']);
    expect(Array.from(flat.values.subarray(12, 15))).toEqual(Array.from(named[1]!.values));
    const back = unflatten(flat);
    back.forEach((t, i) => {
      expect(t.name).toBe(named[i]!.name);
      expect(t.shape).toEqual(named[i]!.shape);
      expect(Array.from(t.values)).toEqual(Array.from(named[i]!.values));
      expect(t.values.buffer).toBe(flat.values.buffer); // a view, not a copy
    });
    back[0]!.values[0] = 42;
    expect(flat.values[0]).toBe(42);
  });

  it('copies the inputs, so later changes to them do not leak in', () => {
    const named = model(new Rng(2));
    const flat = flatten(named);
    named[0]!.values[0] = 1234;
    named[0]!.shape[0] = 99;
    expect(flat.values[0]).not.toBe(1234);
    expect(flat.manifest.tensors[0]!.shape).toEqual([4, 3]);
  });

  it('counts parameters and offsets', () => {
    const flat = flatten(model(new Rng(3)));
    expect(parameterCount(flat.manifest)).toBe(16);
    expect(tensorOffsets(flat.manifest)).toEqual([0, 12, 15, 16, 16]);
  });

  it.each([
    ['shape product does not match values', [{ name: 'a', shape: [2, 2], values: new Float32Array(3) }]],
    ['duplicate names', [{ name: 'a', shape: [1], values: new Float32Array(1) }, { name: 'a', shape: [1], values: new Float32Array(1) }]],
    ['empty name', [{ name: '', shape: [1], values: new Float32Array(1) }]],
    ['negative dimension', [{ name: 'a', shape: [-1], values: new Float32Array(0) }]],
    ['fractional dimension', [{ name: 'a', shape: [1.5], values: new Float32Array(1) }]],
    ['NaN dimension', [{ name: 'a', shape: [Number.NaN], values: new Float32Array(1) }]],
    ['lone surrogate in name', [{ name: 'a\ud800', shape: [1], values: new Float32Array(1) }]],
    ['values not a Float32Array', [{ name: 'a', shape: [1], values: new Float64Array(1) as unknown as Float32Array }]],
  ])('rejects %s', (_label, named) => {
    expect(codeOf(() => flatten(named))).toBe('invalid-weights');
  });

  it('names the offending tensor in validation errors', () => {
    expect(() => flatten([{ name: 'conv/kernel', shape: [3, 3], values: new Float32Array(8) }])).toThrow(
      /conv\/kernel.*\[3, 3\].*9 elements.*8/,
    );
  });

  it('unflatten rejects values whose length does not match the manifest', () => {
    const flat = flatten(model(new Rng(4)));
    expect(codeOf(() => unflatten({ manifest: flat.manifest, values: new Float32Array(15) }))).toBe('invalid-weights');
  });
});

describe('sameLayout / layoutMismatch', () => {
  const base: WeightsManifest = {
    tensors: [
      { name: 'a', shape: [2, 3], dtype: 'float32' },
      { name: 'b', shape: [3], dtype: 'float32' },
    ],
  };

  it('treats manifests with equal tensors as the same layout regardless of key order', () => {
    const reordered = {
      tensors: base.tensors.map((t) => ({ dtype: t.dtype, shape: [...t.shape], name: t.name })),
    };
    expect(sameLayout(base, reordered)).toBe(true);
    expect(layoutMismatch(base, reordered)).toBeUndefined();
  });

  it('names the first difference', () => {
    const shape: WeightsManifest = { tensors: [base.tensors[0]!, { name: 'b', shape: [4], dtype: 'float32' }] };
    expect(sameLayout(base, shape)).toBe(false);
    expect(layoutMismatch(base, shape, 'mine', 'theirs')).toBe("tensor 'b' has shape [3] in mine but [4] in theirs");
    const name: WeightsManifest = { tensors: [{ name: 'x', shape: [2, 3], dtype: 'float32' }, base.tensors[1]!] };
    expect(layoutMismatch(base, name)).toMatch(/tensor #0 is named 'a'.*'x'/);
    const fewer: WeightsManifest = { tensors: [base.tensors[0]!] };
    expect(layoutMismatch(base, fewer)).toMatch(/2 tensors.*1.*'b'/);
    const transposed: WeightsManifest = { tensors: [{ name: 'a', shape: [3, 2], dtype: 'float32' }, base.tensors[1]!] };
    expect(sameLayout(base, transposed)).toBe(false);
  });
});
