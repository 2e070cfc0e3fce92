/**
 * Aggregation strategies: how a curator turns the base version and the deltas it collected
 * into the next version. Every strategy works on flat Float32Arrays laid out by one
 * manifest; the generic checks of each delta (decodes, finite, `maxDeltaNorm`, samples) happen
 * before it gets here, and a strategy may add its own (`validateDelta`).
 *
 * A strategy is described by a `StrategyDefinition` (one file per strategy, listed in
 * registry.ts): its manifest parameters with their rules and defaults, how many server-state
 * tensors its versions carry, how it makes an `AggregationStrategy` from its parameters, and how
 * same-round versions are merged when that differs from the sample-weighted average.
 */
import { GossipflError } from '../errors.ts';
import type { NumberRule } from '../task/fields.ts';

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
  /** Why this rule refuses a decoded, finite delta, or undefined when it takes it. */
  validateDelta?(delta: Float32Array): string | undefined;
  /** The server state as flat arrays (each the length of the weights), or [] before the first round. */
  exportState?(): Float32Array[];
  importState?(state: readonly Float32Array[]): void;
}

/** A parameter value as the manifest holds it. */
export type ParameterValue = number | string;
/** A strategy's parameters by manifest key (under `aggregation:`), every default filled in. */
export type StrategyParameters = Readonly<Record<string, ParameterValue>>;

interface ParameterBase {
  /** The key under `aggregation:` in the task manifest. */
  readonly key: string;
  /** One line for the docs: what it is, in the rule's own symbols. */
  readonly doc: string;
}

export interface NumberParameter extends ParameterBase {
  readonly rule: NumberRule;
  readonly default: number;
}

export interface ChoiceParameter extends ParameterBase {
  readonly choices: readonly string[];
  readonly default: string;
}

export type ParameterSpec = NumberParameter | ChoiceParameter;

/** One version (weights and server state) and the samples behind it, as a merge sees it. */
export interface MergeLeaf {
  readonly weights: Float32Array;
  readonly state: readonly Float32Array[];
  readonly samples: number;
}

export interface StrategyDefinition<Name extends string = string> {
  readonly name: Name;
  /** One line for the docs and for errors. */
  readonly summary: string;
  readonly parameters: readonly ParameterSpec[];
  /** How many `server-state/<i>` tensors a version aggregated with this rule carries (0 before the first aggregation). */
  readonly stateTensors: number;
  create(parameters: StrategyParameters): AggregationStrategy;
  /** Same-round versions' merge, when it is not the sample-weighted average of merge.ts. */
  readonly merge?: (leaves: readonly MergeLeaf[]) => { readonly weights: Float32Array; readonly state: readonly Float32Array[] };
}

/** Keeps a definition's literal name in its type (so the registry can list the names as a union). */
export function defineStrategy<const Name extends string>(definition: StrategyDefinition<Name>): StrategyDefinition<Name> {
  return definition;
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

/** Number parameter `key` of a strategy's (already validated) parameters. */
export function numberParameter(parameters: StrategyParameters, key: string): number {
  const value = parameters[key];
  if (typeof value !== 'number') throw new AggregationError(`parameter ${key} must be a number, got ${String(value)}`);
  return value;
}
