/** Coordinate-wise trimmed mean (Yin et al. 2018): at each weight, drop the ⌊β·n⌋ lowest and highest values, average the rest. */
import { defineStrategy, numberParameter, type AggregationStrategy } from './strategy.ts';
import { applyUpdate, coordinateWise, inSenderOrder } from './vectors.ts';

/** How many values are dropped on each side: ⌊β·n⌋, the product taken in float64. */
export function trimmedPerSide(fraction: number, n: number): number {
  return Math.floor(fraction * n);
}

export function trimmedMean(fraction: number): AggregationStrategy {
  return {
    name: 'trimmed-mean',
    aggregate(base, contributions) {
      const deltas = inSenderOrder(base, contributions).map((c) => c.delta);
      const n = deltas.length;
      const trim = trimmedPerSide(fraction, n);
      const kept = n - 2 * trim;
      return applyUpdate(
        base,
        coordinateWise(deltas, base.length, (sorted) => {
          let sum = 0;
          for (let i = trim; i < n - trim; i++) sum += sorted[i] as number;
          return sum / kept;
        }),
      );
    },
  };
}

export const TRIMMED_MEAN = defineStrategy({
  name: 'trimmed-mean',
  summary: 'coordinate-wise mean after dropping the ⌊β·n⌋ lowest and highest values (samples ignored)',
  parameters: [
    { key: 'trimFraction', doc: 'β, the fraction of the n values dropped on each side', rule: { min: 0, max: 0.499999, expected: 'a number in [0, 0.5)' }, default: 0.1 },
  ],
  stateTensors: 0,
  create: (parameters) => trimmedMean(numberParameter(parameters, 'trimFraction')),
});
