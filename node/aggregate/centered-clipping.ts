/**
 * Centered clipping (Karimireddy, He & Jaggi 2021): starting from the centre c (the previous
 * round's aggregate, kept as server state), L times move v by the mean of the deltas' offsets
 * from v, each clipped to norm τ; then optional server momentum m = β·c + (1 − β)·v, and w' = w + m.
 */
import type { StatefulStrategy } from './server-optimizers.ts';
import { defineStrategy, numberParameter } from './strategy.ts';
import { inSenderOrder, squaredDistance } from './vectors.ts';

export interface CenteredClippingOptions {
  /** τ, the clipping radius around the centre. */
  readonly radius: number;
  /** L, clipping iterations. */
  readonly iterations: number;
  /** β ∈ [0, 1): 0 makes the next centre this round's clipped aggregate. */
  readonly momentum: number;
}

/** The clipping factor min(1, τ / r) (1 when r = 0). */
export function clipFactor(radius: number, distance: number): number {
  return distance <= radius ? 1 : radius / distance;
}

export function centeredClipping(options: CenteredClippingOptions): StatefulStrategy {
  let centre: Float32Array | undefined;
  return {
    name: 'centered-clipping',
    aggregate(base, contributions) {
      const sorted = inSenderOrder(base, contributions);
      const n = base.length;
      const previous = centre?.length === n ? centre : new Float32Array(n);
      const v = Float64Array.from(previous);
      const share = 1 / sorted.length;
      for (let l = 0; l < options.iterations; l++) {
        const coefficients = sorted.map((c) => share * clipFactor(options.radius, Math.sqrt(squaredDistance(c.delta, v))));
        const step = new Float64Array(n);
        sorted.forEach((c, i) => {
          const coefficient = coefficients[i] as number;
          for (let k = 0; k < n; k++) step[k] = (step[k] as number) + coefficient * ((c.delta[k] as number) - (v[k] as number));
        });
        for (let k = 0; k < n; k++) v[k] = (v[k] as number) + (step[k] as number);
      }
      const next = new Float32Array(n);
      const nextCentre = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const m = options.momentum * (previous[k] as number) + (1 - options.momentum) * (v[k] as number);
        nextCentre[k] = m;
        next[k] = (base[k] as number) + m;
      }
      centre = nextCentre;
      return next;
    },
    exportState: () => (centre === undefined ? [] : [centre.slice()]),
    importState(state) {
      centre = state[0]?.slice();
    },
  };
}

export const CENTERED_CLIPPING = defineStrategy({
  name: 'centered-clipping',
  summary: 'clipped mean of the deltas around the previous aggregate (samples ignored); the centre is server state',
  parameters: [
    { key: 'clipRadius', doc: 'τ, the largest offset from the centre a delta keeps (in the units of the deltas’ L2 norm)', rule: { above: 0, expected: 'a positive number' }, default: 1 },
    { key: 'iterations', doc: 'L, clipping iterations', rule: { integer: true, min: 1, max: 100, expected: 'a whole number in [1, 100]' }, default: 1 },
    { key: 'momentum', doc: 'β, server momentum of the centre', rule: { min: 0, max: 0.999999, expected: 'a number in [0, 1)' }, default: 0 },
  ],
  stateTensors: 1,
  create: (parameters) =>
    centeredClipping({
      radius: numberParameter(parameters, 'clipRadius'),
      iterations: numberParameter(parameters, 'iterations'),
      momentum: numberParameter(parameters, 'momentum'),
    }),
});
