import { describe, expect, it } from 'vitest';
import { weightedSumInto, type WeightedTerm } from '../../node/aggregate/weighted-sum.ts';
import { Rng } from '../../node/learn/rng.ts';

function floats(rng: Rng, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

/** The same sum as a plain float64 loop. */
function reference(length: number, base: Float32Array | undefined, terms: readonly WeightedTerm[]): Float64Array {
  const sum = Float64Array.from({ length }, (_, i) => base?.[i] ?? 0);
  for (const { values, weight } of terms) for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + weight * (values[i] as number);
  return sum;
}

describe('weightedSumInto', () => {
  // Lengths around the 4-float SIMD step and the 4096-float block.
  it.each([0, 1, 3, 4, 5, 4095, 4096, 4097, 10_001])('matches a float64 loop for %i values', (length) => {
    const rng = new Rng(length);
    const base = floats(rng, length);
    // Six terms: one group of four added per kernel call, then two one by one.
    const terms = [0.25, 0.5, 0.125, 0.125, 0.3, -0.2].map((weight) => ({ values: floats(rng, length), weight }));
    const expected = reference(length, base, terms);

    const mean = new Float64Array(length);
    weightedSumInto(mean, undefined, terms);
    expect([...mean]).toEqual([...reference(length, undefined, terms)]);

    const next = new Float32Array(length);
    weightedSumInto(next, base, terms);
    expect([...next]).toEqual([...Float32Array.from(expected)]);
  });

  it('keeps no state between calls', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5]);
    const first = new Float32Array(5);
    weightedSumInto(first, values, [{ values, weight: 2 }]);
    const second = new Float32Array(5);
    weightedSumInto(second, values, [{ values, weight: 2 }]);
    expect([...second]).toEqual([3, 6, 9, 12, 15]);
    expect([...first]).toEqual([...second]);
  });
});
