/** Coordinate-wise median (Yin et al. 2018): each weight moves by the median of the deltas' values at it. */
import { defineStrategy, type AggregationStrategy } from './strategy.ts';
import { applyUpdate, coordinateWise, inSenderOrder } from './vectors.ts';

/** The median of ascending values: the middle one, or the float64 mean (a + b) / 2 of the two middle ones. */
export function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  const half = n >> 1;
  return n % 2 === 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
}

export function coordinateMedian(): AggregationStrategy {
  return {
    name: 'median',
    aggregate(base, contributions) {
      const deltas = inSenderOrder(base, contributions).map((c) => c.delta);
      return applyUpdate(base, coordinateWise(deltas, base.length, medianOfSorted));
    },
  };
}

export const MEDIAN = defineStrategy({
  name: 'median',
  summary: 'coordinate-wise median of the deltas (samples ignored)',
  parameters: [],
  stateTensors: 0,
  create: () => coordinateMedian(),
});
