/**
 * Aggregation strategies: how a curator turns the base version and the deltas it collected
 * into the next version. Every strategy works on flat Float32Arrays laid out by one
 * manifest; validation of each delta (shape, finite, norm) happens before it gets here.
 */
import { GossipflError } from '../errors.ts';

export interface Contribution {
  /** Who trained it (a peer id, or a client index in experiments). */
  readonly from: string;
  /** w_i − base, same layout as the base. */
  readonly delta: Float32Array;
  /** Local samples, the FedAvg weight. */
  readonly samples: number;
}

export interface AggregationStrategy {
  readonly name: string;
  /** The next version's weights; never modifies `base` or the deltas. */
  aggregate(base: Float32Array, contributions: readonly Contribution[]): Float32Array;
}

export class AggregationError extends GossipflError {
  override name = 'AggregationError';
}

/** Checks what every strategy relies on; throws naming the offending contribution. */
export function checkContributions(base: Float32Array, contributions: readonly Contribution[]): number {
  if (contributions.length === 0) throw new AggregationError('nothing to aggregate: no contributions');
  let totalSamples = 0;
  for (const contribution of contributions) {
    if (contribution.delta.length !== base.length) {
      throw new AggregationError(`the delta from ${contribution.from} has ${contribution.delta.length} values, the base has ${base.length}`);
    }
    if (!Number.isFinite(contribution.samples) || contribution.samples <= 0) {
      throw new AggregationError(`the delta from ${contribution.from} claims ${contribution.samples} samples; it must be positive`);
    }
    totalSamples += contribution.samples;
  }
  return totalSamples;
}
