/** Self-centred clipped gossip (node/aggregate/clipped-gossip.ts, PROTOCOL §7b): known answers and its bounds. */
import { describe, expect, it } from 'vitest';
import { averageVersions, clippedGossipMerge } from '../../node/aggregate/index.ts';
import { Rng } from '../../node/learn/rng.ts';

const f32 = Math.fround;
const leaf = (...values: number[]) => ({ weights: Float32Array.from(values) });

function norm(a: Float32Array | readonly number[], b: Float32Array | readonly number[]): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += ((a[k] as number) - (b[k] as number)) ** 2;
  return Math.sqrt(sum);
}

/** A model of `length` values near `centre`: centre + N(0, spread²) per value. */
function near(centre: Float32Array, spread: number, rng: Rng): { weights: Float32Array } {
  return { weights: centre.map((value) => value + spread * rng.normal()) };
}

describe('clipped gossip merge', () => {
  it('moves the own model by W·min(1, τ/r)·(x_j − x_0), W = 1/n: a hand-computed answer', () => {
    // Own (0, 0), neighbours (3, 4) at distance 5 and (0.3, 0.4) at 0.5; τ = 1, n = 3, W = 1/3.
    // The far one is clipped by 1/5, the near one kept: move = (1/15)·(3, 4) + (1/3)·(0.3, 0.4).
    const { weights, neighbours } = clippedGossipMerge([leaf(0, 0), leaf(3, 4), leaf(0.3, 0.4)], 1);
    const [c1, c2] = [(1 / 3) * (1 / 5), (1 / 3) * 1];
    expect([...weights]).toEqual([f32(0 + (c1 * 3 + c2 * (f32(0.3) - 0))), f32(0 + (c1 * 4 + c2 * (f32(0.4) - 0)))]);
    expect(neighbours.map((n) => n.coefficient)).toEqual([c1, c2]);
    expect(neighbours[0]!.distance).toBe(5);
    expect(neighbours[1]!.distance).toBeCloseTo(0.5, 6);
  });

  it('keeps the own model when it is the only leaf', () => {
    expect([...clippedGossipMerge([leaf(1, -2, 3)], 0.5).weights]).toEqual([1, -2, 3]);
  });

  it('lets a hostile neighbour 100× away move the peer by at most W·τ', () => {
    const rng = new Rng('clipped-gossip hostile');
    const own = near(new Float32Array(1000), 0.1, rng);
    const honest = [near(own.weights, 0.01, rng), near(own.weights, 0.01, rng)];
    const hostile = { weights: own.weights.map((value) => 100 * value + 5) };
    const tau = 0.2;
    const n = 4;
    const withHostile = clippedGossipMerge([own, ...honest, hostile], tau).weights;
    // The same merge with the hostile leaf replaced by the own model (offset 0, same n and W).
    const withoutHostile = clippedGossipMerge([own, ...honest, own], tau).weights;
    expect(norm(own.weights, hostile.weights)).toBeGreaterThan(100);
    const moved = norm(withHostile, withoutHostile);
    expect(moved).toBeGreaterThan(0.99 * (tau / n));
    expect(moved).toBeLessThanOrEqual((tau / n) * (1 + 1e-6));
    // Alone with the peer (n = 2, W = 1/2) it moves it by τ/2, where plain averaging moves it half the way (> 170 here).
    const alone = clippedGossipMerge([own, hostile], tau).weights;
    expect(norm(alone, own.weights)).toBeCloseTo(tau / 2, 6);
    const averaged = averageVersions([own, hostile].map((l) => ({ weights: l.weights, state: [], samples: 1 }))).weights;
    expect(norm(averaged, own.weights)).toBeCloseTo(norm(own.weights, hostile.weights) / 2, 3);
    expect(norm(averaged, own.weights)).toBeGreaterThan(500 * tau);
  });

  it('equals the plain uniform average when no neighbour is farther than τ (and in the limit τ → ∞)', () => {
    const rng = new Rng('clipped-gossip limit');
    const own = near(new Float32Array(500), 1, rng);
    const leaves = [own, near(own.weights, 3, rng), near(own.weights, 0.5, rng), near(own.weights, 10, rng)];
    const plain = averageVersions(leaves.map((l) => ({ weights: l.weights, state: [], samples: 7 }))).weights;
    for (const tau of [1e6, Number.POSITIVE_INFINITY]) {
      const { weights, neighbours } = clippedGossipMerge(leaves, tau);
      expect(neighbours.map((n) => n.coefficient)).toEqual([0.25, 0.25, 0.25]);
      // x_0 + Σ W·(x_j − x_0) and Σ W·x_j differ only in float64 rounding before the one float32 rounding.
      for (let k = 0; k < plain.length; k++) expect(Math.abs((weights[k] as number) - (plain[k] as number))).toBeLessThanOrEqual(Math.abs(plain[k] as number) * 2 ** -23 + 1e-12);
    }
    const clipped = clippedGossipMerge(leaves, 1).weights;
    expect(norm(clipped, plain)).toBeGreaterThan(1);
  });

  it('is deterministic: the same leaves give the same bits', () => {
    const rng = new Rng('clipped-gossip replay');
    const own = near(new Float32Array(300), 1, rng);
    const leaves = [own, near(own.weights, 2, rng), near(own.weights, 0.1, rng)];
    expect(clippedGossipMerge(leaves, 0.7).weights).toEqual(clippedGossipMerge(leaves.map((l) => ({ weights: l.weights.slice() })), 0.7).weights);
  });

  it('refuses a radius that is not a positive number, no leaves, and models of different lengths', () => {
    for (const tau of [0, -1, Number.NaN]) expect(() => clippedGossipMerge([leaf(1)], tau)).toThrow(/clipping radius must be a positive number/);
    expect(() => clippedGossipMerge([], 1)).toThrow(/no leaves/);
    expect(() => clippedGossipMerge([leaf(1, 2), leaf(1)], 1)).toThrow(/has 1 values, the own model 2/);
  });
});
