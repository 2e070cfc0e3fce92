/**
 * Server-side optimizers (Reddi et al. 2021, "Adaptive Federated Optimization"; Hsu et al.
 * 2019 for FedAvgM): the sample-weighted mean delta is treated as a pseudo-gradient and fed
 * to momentum SGD or Adam on the curator. Their state (momentum, second moments) must follow
 * the model from curator to curator: `exportState`/`importState` carry it.
 */
import { checkContributions, type AggregationStrategy, type Contribution } from './strategy.ts';
import { weightedSumInto } from './weighted-sum.ts';

/** Σ (n_i / N) · delta_i, accumulated in float64 for accuracy over many contributions. */
export function weightedMeanDelta(base: Float32Array, contributions: readonly Contribution[]): Float64Array {
  const totalSamples = checkContributions(base, contributions);
  const mean = new Float64Array(base.length);
  weightedSumInto(mean, undefined, contributions.map(({ delta, samples }) => ({ values: delta, weight: samples / totalSamples })));
  return mean;
}

/** A strategy whose state must travel with the model between curators. */
export interface StatefulStrategy extends AggregationStrategy {
  /** The state as flat arrays (each the length of the weights), or [] before the first round. */
  exportState(): Float32Array[];
  importState(state: readonly Float32Array[]): void;
}

export interface FedAvgMOptions {
  /** Server learning rate η (1 with momentum 0 is plain FedAvg). */
  readonly serverLearningRate?: number;
  /** Server momentum β. */
  readonly momentum?: number;
}

/** FedAvgM: m ← β·m + Δ̄; w ← w + η·m. */
export function fedAvgM(options: FedAvgMOptions = {}): StatefulStrategy {
  const eta = options.serverLearningRate ?? 1;
  const beta = options.momentum ?? 0.9;
  let momentum: Float32Array | undefined;
  return {
    name: 'fedavgm',
    aggregate(base, contributions) {
      const mean = weightedMeanDelta(base, contributions);
      if (momentum?.length !== base.length) momentum = new Float32Array(base.length);
      const next = new Float32Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const m = beta * (momentum[i] as number) + (mean[i] as number);
        momentum[i] = m;
        next[i] = (base[i] as number) + eta * m;
      }
      return next;
    },
    exportState: () => (momentum === undefined ? [] : [momentum.slice()]),
    importState(state) {
      momentum = state[0]?.slice();
    },
  };
}

export interface FedAdamOptions {
  readonly serverLearningRate?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** τ, the adaptivity floor. */
  readonly tau?: number;
}

/** FedAdam: m ← β1·m + (1−β1)·Δ̄; v ← β2·v + (1−β2)·Δ̄²; w ← w + η·m / (√v + τ). */
export function fedAdam(options: FedAdamOptions = {}): StatefulStrategy {
  const eta = options.serverLearningRate ?? 0.01;
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.99;
  const tau = options.tau ?? 1e-3;
  let first: Float32Array | undefined;
  let second: Float32Array | undefined;
  return {
    name: 'fedadam',
    aggregate(base, contributions) {
      const mean = weightedMeanDelta(base, contributions);
      if (first?.length !== base.length || second?.length !== base.length) {
        first = new Float32Array(base.length);
        second = new Float32Array(base.length);
      }
      const next = new Float32Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const g = mean[i] as number;
        const m = beta1 * (first[i] as number) + (1 - beta1) * g;
        const v = beta2 * (second[i] as number) + (1 - beta2) * g * g;
        first[i] = m;
        second[i] = v;
        next[i] = (base[i] as number) + (eta * m) / (Math.sqrt(v) + tau);
      }
      return next;
    },
    exportState: () => (first === undefined || second === undefined ? [] : [first.slice(), second.slice()]),
    importState(state) {
      first = state[0]?.slice();
      second = state[1]?.slice();
    },
  };
}
