/** Norm clipping: FedAvg of the deltas, each first scaled down to L2 norm at most τ (instead of being rejected). */
import { defineStrategy, numberParameter, type AggregationStrategy } from './strategy.ts';
import { clipFactor } from './centered-clipping.ts';
import { inSenderOrder, squaredDistance } from './vectors.ts';
import { weightedSumInto } from './weighted-sum.ts';

export function normClipping(bound: number): AggregationStrategy {
  return {
    name: 'norm-clipping',
    aggregate(base, contributions) {
      const sorted = inSenderOrder(base, contributions);
      let total = 0;
      for (const c of sorted) total += c.samples;
      const next = new Float32Array(base.length);
      weightedSumInto(
        next,
        base,
        sorted.map((c) => ({ values: c.delta, weight: (c.samples / total) * clipFactor(bound, Math.sqrt(squaredDistance(c.delta))) })),
      );
      return next;
    },
  };
}

export const NORM_CLIPPING = defineStrategy({
  name: 'norm-clipping',
  summary: 'sample-weighted mean of the deltas, each scaled to L2 norm ≤ τ first',
  parameters: [{ key: 'clipNorm', doc: 'τ, the L2 norm each delta is scaled down to when it is longer', rule: { above: 0, expected: 'a positive number' }, default: 1 }],
  stateTensors: 0,
  create: (parameters) => normClipping(numberParameter(parameters, 'clipNorm')),
});
