/**
 * Link latency models for the simulated network. A latency is sampled independently for
 * every message and every blob transfer, so with a random model two messages on one link may
 * arrive out of order (as they can over different gossipsub paths).
 */
import { GossipflError } from '../../node/errors.ts';
import type { Rng } from '../../node/learn/rng.ts';

export class NetworkConfigError extends GossipflError {
  override name = 'NetworkConfigError';
}

export type LatencyModel =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  /** ms = exp(mu + sigma·N(0,1)); the median is exp(mu). */
  | { readonly kind: 'lognormal'; readonly mu: number; readonly sigma: number }
  /**
   * One-way latency by region: `matrix[a][b]` ms from a peer in region a to one in region b
   * (`matrix[b][a]` is used when `matrix[a][b]` is missing). `jitter` (a fraction, e.g. 0.1)
   * multiplies each sample by uniform(1 − jitter, 1 + jitter).
   */
  | {
      readonly kind: 'regions';
      readonly regionOf: Readonly<Record<string, string>> | ((peer: string) => string | undefined);
      readonly matrix: Readonly<Record<string, Readonly<Record<string, number>>>>;
      readonly jitter?: number;
    };

function nonNegative(value: number, what: string): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new NetworkConfigError(`${what} must be a finite number ≥ 0, got ${value}`);
}

/** Checks a model's parameters; throws a NetworkConfigError saying what is wrong. */
export function validateLatency(model: LatencyModel): void {
  switch (model.kind) {
    case 'constant':
      nonNegative(model.ms, 'constant latency ms');
      return;
    case 'uniform':
      nonNegative(model.min, 'uniform latency min');
      nonNegative(model.max, 'uniform latency max');
      if (model.max < model.min) throw new NetworkConfigError(`uniform latency needs min ≤ max, got ${model.min} > ${model.max}`);
      return;
    case 'lognormal':
      if (!Number.isFinite(model.mu)) throw new NetworkConfigError(`lognormal latency mu must be finite, got ${model.mu}`);
      nonNegative(model.sigma, 'lognormal latency sigma');
      return;
    case 'regions':
      for (const [a, row] of Object.entries(model.matrix)) {
        for (const [b, ms] of Object.entries(row)) nonNegative(ms, `region latency ${a}→${b}`);
      }
      if (model.jitter !== undefined && !(model.jitter >= 0 && model.jitter < 1)) {
        throw new NetworkConfigError(`region latency jitter must be in [0, 1), got ${model.jitter}`);
      }
      return;
    default: {
      const _: never = model;
      throw new NetworkConfigError(`unknown latency model ${JSON.stringify(_)}`);
    }
  }
}

function regionOf(model: Extract<LatencyModel, { kind: 'regions' }>, peer: string): string {
  const region = typeof model.regionOf === 'function' ? model.regionOf(peer) : model.regionOf[peer];
  if (region === undefined) throw new NetworkConfigError(`peer ${peer} has no region: add it to the latency model's regionOf`);
  return region;
}

/** Samples one one-way latency in ms from `from` to `to`. */
export function sampleLatency(model: LatencyModel, from: string, to: string, rng: Rng): number {
  switch (model.kind) {
    case 'constant':
      return model.ms;
    case 'uniform':
      return rng.uniform(model.min, model.max);
    case 'lognormal':
      return rng.logNormal(model.mu, model.sigma);
    case 'regions': {
      const a = regionOf(model, from);
      const b = regionOf(model, to);
      const ms = model.matrix[a]?.[b] ?? model.matrix[b]?.[a];
      if (ms === undefined) throw new NetworkConfigError(`no latency between regions ${a} and ${b}: add matrix.${a}.${b}`);
      const jitter = model.jitter ?? 0;
      return jitter > 0 ? ms * rng.uniform(1 - jitter, 1 + jitter) : ms;
    }
    default: {
      const _: never = model;
      throw new NetworkConfigError(`unknown latency model ${JSON.stringify(_)}`);
    }
  }
}
