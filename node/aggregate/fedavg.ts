import { addScaledInto } from '../learn/weights/delta.ts';
import { checkContributions, type AggregationStrategy, type Contribution } from './strategy.ts';

/** FedAvg (McMahan et al. 2017): base + Σ (n_i / N) · delta_i. */
export function fedAvg(): AggregationStrategy {
  return {
    name: 'fedavg',
    aggregate(base: Float32Array, contributions: readonly Contribution[]): Float32Array {
      const totalSamples = checkContributions(base, contributions);
      const next = Float32Array.from(base);
      for (const { delta, samples } of contributions) addScaledInto(next, delta, samples / totalSamples);
      return next;
    },
  };
}
