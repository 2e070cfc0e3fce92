import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import { alieDelta, alieZ, clipToNorm, coordinateMean, coordinateStd, gaussianDelta, ipmDelta, normalQuantile, signFlipped, staleDelta } from '../../sim/attack/deltas.ts';

const f32 = (...values: number[]) => Float32Array.from(values);

describe('attack deltas on tiny inputs', () => {
  it('sign-flip is −scale × the own delta', () => {
    expect([...signFlipped(f32(1, -2, 0.5), 1)]).toEqual([-1, 2, -0.5]);
    expect([...signFlipped(f32(1, -2, 0.5), 3)]).toEqual([-3, 6, -1.5]);
  });

  it('ALIE is mean − z·std of the honest deltas, coordinate by coordinate (population std)', () => {
    const honest = [f32(1, 0, 4), f32(3, 0, 8)];
    // mean (2, 0, 6), std (1, 0, 2)
    expect([...coordinateMean(honest)]).toEqual([2, 0, 6]);
    expect([...coordinateStd(honest, coordinateMean(honest))]).toEqual([1, 0, 2]);
    expect([...alieDelta(honest, 1.5)]).toEqual([0.5, 0, 3]);
    expect([...alieDelta(honest, 0)]).toEqual([2, 0, 6]);
    // One honest delta: no spread, so ALIE is that delta.
    expect([...alieDelta([f32(5, -1)], 2)]).toEqual([5, -1]);
  });

  it("ALIE's default z follows Baruch et al. from the number of peers and attackers", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    // n = 25, m = 5: s = ⌊13.5⌋ − 5 = 8, z = Φ⁻¹((25 − 5 − 8) / 20) = Φ⁻¹(0.6)
    expect(alieZ(25, 5)).toBeCloseTo(0.253347, 5);
    expect(() => alieZ(5, 5)).toThrow(RangeError);
  });

  it('IPM is −ε × the mean of the honest deltas', () => {
    const out = ipmDelta([f32(1, -4), f32(3, 0)], 0.1);
    expect(out[0]).toBeCloseTo(-0.2, 7);
    expect(out[1]).toBeCloseTo(0.2, 7);
    expect([...ipmDelta([f32(2, 2)], 1)]).toEqual([-2, -2]);
  });

  it('Gaussian noise has mean 0 and standard deviation σ, and repeats for the same seed', () => {
    const noise = gaussianDelta(20_000, 0.5, new Rng('noise'));
    const mean = noise.reduce((sum, x) => sum + x, 0) / noise.length;
    const std = Math.sqrt(noise.reduce((sum, x) => sum + (x - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeCloseTo(0.5, 1);
    expect(gaussianDelta(50, 0.5, new Rng('noise'))).toEqual(noise.subarray(0, 50));
  });

  it("the free-rider's stale delta is the federation's last step, zero without one", () => {
    expect([...staleDelta(f32(1, 2, 3), undefined)]).toEqual([0, 0, 0]);
    expect([...staleDelta(f32(1, 2, 3), f32(0.5, 2, 4))]).toEqual([0.5, 0, -1]);
  });

  it('clipping scales a delta down to the bound and leaves a smaller one alone', () => {
    const big = f32(3, 4);
    expect(clipToNorm(big, 1)).toBeCloseTo(0.2, 7);
    expect(Math.hypot(big[0]!, big[1]!)).toBeCloseTo(1, 6);
    const small = f32(0.3, 0.4);
    expect(clipToNorm(small, 1)).toBe(1);
    expect([...small]).toEqual([...f32(0.3, 0.4)]);
  });
});
