import { checkContributions, defineStrategy, type AggregationStrategy, type Contribution } from './strategy.ts';
import { weightedSumInto } from './weighted-sum.ts';

/** FedAvg (McMahan et al. 2017): base + Σ (n_i / N) · delta_i, summed in float64. */
export function fedAvg(): AggregationStrategy {
  return {
    name: 'fedavg',
    aggregate(base: Float32Array, contributions: readonly Contribution[]): Float32Array {
      const totalSamples = checkContributions(base, contributions);
      const next = new Float32Array(base.length);
      weightedSumInto(next, base, contributions.map(({ delta, samples }) => ({ values: delta, weight: samples / totalSamples })));
      return next;
    },
  };
}

export const FEDAVG = defineStrategy({
  name: 'fedavg',
  summary: 'sample-weighted mean of the deltas',
  parameters: [],
  stateTensors: 0,
  create: () => fedAvg(),
});
