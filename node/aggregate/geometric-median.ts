/**
 * Geometric median by smoothed Weiszfeld iterations (Pillutla et al. 2022, "RFA"): a fixed number
 * of re-weighted means, each delta weighted by α_i / max(ν, ‖z − Δ_i‖), starting from the α-weighted mean.
 */
import { defineStrategy, numberParameter, type AggregationStrategy, type Contribution } from './strategy.ts';
import { applyUpdate, inSenderOrder, linearCombination, squaredDistance } from './vectors.ts';

export const GEOMETRIC_MEDIAN_WEIGHTS = ['uniform', 'samples'] as const;
export type GeometricMedianWeights = (typeof GEOMETRIC_MEDIAN_WEIGHTS)[number];

export interface GeometricMedianOptions {
  readonly iterations: number;
  /** ν: distances below it count as ν, so a point at a delta does not divide by zero. */
  readonly smoothing: number;
  readonly weights: GeometricMedianWeights;
}

/** α_i: 1/n each, or n_i/N (N = Σ n_i in sender order). */
function startingWeights(sorted: readonly Contribution[], weights: GeometricMedianWeights): number[] {
  if (weights === 'uniform') return sorted.map(() => 1 / sorted.length);
  let total = 0;
  for (const c of sorted) total += c.samples;
  return sorted.map((c) => c.samples / total);
}

/** The smoothed Weiszfeld estimate of the deltas' geometric median (float64). */
export function weiszfeld(sorted: readonly Contribution[], length: number, options: GeometricMedianOptions): Float64Array {
  const alpha = startingWeights(sorted, options.weights);
  let z = linearCombination(sorted.map((c, i) => ({ values: c.delta, coefficient: alpha[i] as number })), length);
  for (let t = 0; t < options.iterations; t++) {
    const beta = sorted.map((c, i) => (alpha[i] as number) / Math.max(options.smoothing, Math.sqrt(squaredDistance(c.delta, z))));
    let total = 0;
    for (const b of beta) total += b;
    z = linearCombination(sorted.map((c, i) => ({ values: c.delta, coefficient: (beta[i] as number) / total })), length);
  }
  return z;
}

export function geometricMedian(options: GeometricMedianOptions): AggregationStrategy {
  return {
    name: 'geometric-median',
    aggregate(base, contributions) {
      return applyUpdate(base, weiszfeld(inSenderOrder(base, contributions), base.length, options));
    },
  };
}

export const GEOMETRIC_MEDIAN = defineStrategy({
  name: 'geometric-median',
  summary: 'geometric median of the deltas by a fixed number of smoothed Weiszfeld iterations',
  parameters: [
    { key: 'iterations', doc: 'T, Weiszfeld iterations (always all of them: no early exit)', rule: { integer: true, min: 1, max: 1000, expected: 'a whole number in [1, 1000]' }, default: 8 },
    { key: 'smoothing', doc: 'ν, the smallest distance a weight divides by', rule: { above: 0, expected: 'a positive number' }, default: 1e-6 },
    { key: 'weights', doc: 'α_i: `uniform` (1/n) or `samples` (n_i/N, which trusts the claimed sample counts)', choices: GEOMETRIC_MEDIAN_WEIGHTS, default: 'uniform' },
  ],
  stateTensors: 0,
  create: (parameters) =>
    geometricMedian({
      iterations: numberParameter(parameters, 'iterations'),
      smoothing: numberParameter(parameters, 'smoothing'),
      weights: parameters['weights'] === 'samples' ? 'samples' : 'uniform',
    }),
});
