import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  WeightsCodecError,
  addScaledInto,
  allFinite,
  applyDelta,
  delta,
  flatten,
  l2Norm,
  scaleInPlace,
  type FlatWeights,
} from '../../node/learn/weights/index.ts';

function randomFlat(rng: Rng, scale = 1): FlatWeights {
  const make = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  return flatten([
    { name: 'k', shape: [30, 20], values: make(600) },
    { name: 'b', shape: [20], values: make(20) },
  ]);
}

describe('delta / applyDelta', () => {
  it('computes w − base elementwise in float32', () => {
    const rng = new Rng(1);
    const w = randomFlat(rng);
    const base = randomFlat(rng);
    const d = delta(w, base);
    expect(d.manifest).toEqual(w.manifest);
    for (let i = 0; i < d.values.length; i++) {
      expect(d.values[i]).toBe(Math.fround(w.values[i]! - base.values[i]!));
    }
  });

  it('applyDelta(base, delta(w, base)) recovers w within 2^-23·(|w| + |base|)', () => {
    const rng = new Rng(2);
    const base = randomFlat(rng, 10);
    const w = randomFlat(rng, 0.01);
    const back = applyDelta(base, delta(w, base));
    let worst = 0;
    for (let i = 0; i < w.values.length; i++) {
      const err = Math.abs(back.values[i]! - w.values[i]!);
      const bound = 2 ** -23 * (Math.abs(w.values[i]!) + Math.abs(base.values[i]!));
      expect(err).toBeLessThanOrEqual(bound);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeGreaterThan(0); // this case really does round; the bound is what is tested
  });

  it('is an exact inverse when w and base are within a factor of two (Sterbenz)', () => {
    const rng = new Rng(3);
    const base = randomFlat(rng);
    const w: FlatWeights = { manifest: base.manifest, values: base.values.map((v) => v * (1 + 0.4 * (rng.next() - 0.5))) };
    const back = applyDelta(base, delta(w, base));
    expect(Array.from(back.values)).toEqual(Array.from(w.values));
  });

  it('scales the delta', () => {
    const base = flatten([{ name: 'x', shape: [3], values: new Float32Array([1, 2, 3]) }]);
    const d = flatten([{ name: 'x', shape: [3], values: new Float32Array([2, -4, 0.5]) }]);
    expect(Array.from(applyDelta(base, d, 0.5).values)).toEqual([2, 0, 3.25]);
    expect(Array.from(base.values)).toEqual([1, 2, 3]); // not modified
  });

  it('refuses mismatched layouts and names the first mismatch', () => {
    const a = flatten([{ name: 'x', shape: [2, 3], values: new Float32Array(6) }]);
    const b = flatten([{ name: 'x', shape: [3, 2], values: new Float32Array(6) }]);
    let caught: unknown;
    try {
      delta(a, b);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WeightsCodecError);
    expect((caught as WeightsCodecError).code).toBe('layout-mismatch');
    expect((caught as WeightsCodecError).message).toContain("tensor 'x' has shape [2, 3] in weights but [3, 2] in base");
    const c = flatten([{ name: 'y', shape: [6], values: new Float32Array(6) }]);
    expect(() => applyDelta(a, c)).toThrow(/tensor #0 is named 'x' in base but 'y' in delta/);
  });
});

describe('in-place helpers', () => {
  it('addScaledInto adds scale·source into target', () => {
    const t = new Float32Array([1, 1, 1]);
    addScaledInto(t, new Float32Array([1, 2, 3]), -2);
    expect(Array.from(t)).toEqual([-1, -3, -5]);
    addScaledInto(t, new Float32Array([1, 3, 5]));
    expect(Array.from(t)).toEqual([0, 0, 0]);
    expect(() => addScaledInto(t, new Float32Array(2), 1)).toThrow(WeightsCodecError);
  });

  it('scaleInPlace multiplies every element', () => {
    const v = new Float32Array([1, -2, 4]);
    scaleInPlace(v, 0.25);
    expect(Array.from(v)).toEqual([0.25, -0.5, 1]);
  });

  it('l2Norm matches a float64 reference', () => {
    expect(l2Norm(new Float32Array([3, 4]))).toBe(5);
    expect(l2Norm(new Float32Array([3, 4, 12]))).toBe(13);
    expect(l2Norm(new Float32Array(0))).toBe(0);
    const rng = new Rng(4);
    const v = Float32Array.from({ length: 10_001 }, () => rng.normal());
    let ref = 0;
    for (const x of v) ref += x * x;
    expect(l2Norm(v)).toBeCloseTo(Math.sqrt(ref), 9);
    expect(l2Norm(new Float32Array([1, Number.NaN]))).toBeNaN();
  });

  it('allFinite returns the index of the first non-finite value, or -1', () => {
    expect(allFinite(new Float32Array([0, -0, 3.4e38, -1e-45]))).toBe(-1);
    expect(allFinite(new Float32Array(0))).toBe(-1);
    expect(allFinite(new Float32Array([1, 2, Number.NaN, Infinity]))).toBe(2);
    expect(allFinite(new Float32Array([1, -Infinity]))).toBe(1);
    expect(allFinite(new Float32Array([Infinity]))).toBe(0);
    const big = new Float32Array(5000).fill(-0);
    expect(allFinite(big)).toBe(-1);
    for (const at of [1023, 1024, 3001, 4999]) {
      const copy = big.slice();
      copy[at] = at % 2 === 0 ? Number.NaN : -Infinity;
      copy[4999] = Infinity;
      expect(allFinite(copy)).toBe(at);
    }
  });
});
