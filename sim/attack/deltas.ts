/**
 * The poisoned deltas of the simulator's attacks, as pure functions of flat float arrays: what
 * a hostile peer sends in place of its honest delta (sim/attack/hostile-learner.ts wraps them
 * around a learner). The statistics of the honest deltas (mean, standard deviation) are taken
 * coordinate by coordinate, accumulated in float64, over the deltas as given; the standard
 * deviation is the population one (divided by the count, so one honest delta has deviation 0).
 */
import type { Rng } from '../../node/learn/rng.ts';

/** Sign-flip: −scale × the attacker's own honest delta. */
export function signFlipped(own: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(own.length);
  for (let i = 0; i < own.length; i++) out[i] = -scale * (own[i] as number);
  return out;
}

function checkedLength(honest: readonly Float32Array[], what: string): number {
  const first = honest[0];
  if (first === undefined) throw new RangeError(`${what} needs at least one honest delta`);
  for (const delta of honest) if (delta.length !== first.length) throw new RangeError(`${what}: honest deltas of ${first.length} and ${delta.length} values`);
  return first.length;
}

/** Coordinate-wise mean of the honest deltas. */
export function coordinateMean(honest: readonly Float32Array[]): Float64Array {
  const length = checkedLength(honest, 'the mean');
  const mean = new Float64Array(length);
  for (const delta of honest) for (let i = 0; i < length; i++) mean[i] = (mean[i] as number) + (delta[i] as number);
  for (let i = 0; i < length; i++) mean[i] = (mean[i] as number) / honest.length;
  return mean;
}

/** Coordinate-wise population standard deviation of the honest deltas around `mean`. */
export function coordinateStd(honest: readonly Float32Array[], mean: Float64Array): Float64Array {
  const length = checkedLength(honest, 'the standard deviation');
  const variance = new Float64Array(length);
  for (const delta of honest) {
    for (let i = 0; i < length; i++) {
      const d = (delta[i] as number) - (mean[i] as number);
      variance[i] = (variance[i] as number) + d * d;
    }
  }
  for (let i = 0; i < length; i++) variance[i] = Math.sqrt((variance[i] as number) / honest.length);
  return variance;
}

/**
 * ALIE, "a little is enough" (Baruch et al., NeurIPS 2019): mean − z · std of the honest deltas,
 * coordinate-wise — within the honest spread on every coordinate, so a rule that looks at one
 * coordinate at a time cannot tell it apart, yet every attacker pushes the same way.
 */
export function alieDelta(honest: readonly Float32Array[], z: number): Float32Array {
  const mean = coordinateMean(honest);
  const std = coordinateStd(honest, mean);
  const out = new Float32Array(mean.length);
  for (let i = 0; i < out.length; i++) out[i] = (mean[i] as number) - z * (std[i] as number);
  return out;
}

/**
 * IPM, inner-product manipulation (Xie et al., UAI 2019): −ε × the mean of the honest deltas,
 * so that the aggregate's inner product with the true update shrinks (or turns negative).
 */
export function ipmDelta(honest: readonly Float32Array[], epsilon: number): Float32Array {
  const mean = coordinateMean(honest);
  const out = new Float32Array(mean.length);
  for (let i = 0; i < out.length; i++) out[i] = -epsilon * (mean[i] as number);
  return out;
}

/** Gaussian noise: every coordinate drawn from N(0, σ²). */
export function gaussianDelta(length: number, sigma: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = sigma * rng.normal();
  return out;
}

/** Free-rider's stale delta: the federation's last step, `base − previous` (zero without a previous version). */
export function staleDelta(base: Float32Array, previous: Float32Array | undefined): Float32Array {
  const out = new Float32Array(base.length);
  if (previous === undefined) return out;
  for (let i = 0; i < out.length; i++) out[i] = (base[i] as number) - (previous[i] as number);
  return out;
}

/** Scales `values` down in place so that its L2 norm is at most `bound`; returns the factor used (1 when within it). */
export function clipToNorm(values: Float32Array, bound: number): number {
  let squared = 0;
  for (const value of values) squared += value * value;
  const norm = Math.sqrt(squared);
  if (norm <= bound) return 1;
  const factor = bound / norm;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * factor;
  return factor;
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation
 * (relative error below 1.2e-9), enough for choosing ALIE's z.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a normal quantile needs p in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * ALIE's default z for n peers of which m attack (Baruch et al.): the largest z for which the
 * attackers, with s = ⌊n/2 + 1⌋ − m honest peers "on their side", still look like a majority:
 * z = Φ⁻¹((n − m − s) / (n − m)). For n = 25, m = 5: s = 8, z = Φ⁻¹(0.6) ≈ 0.253.
 */
export function alieZ(n: number, m: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(m) && m >= 1 && n > m)) throw new RangeError(`ALIE's z needs 1 ≤ m < n attackers of n peers, got n = ${n}, m = ${m}`);
  const s = Math.floor(n / 2 + 1) - m;
  const p = (n - m - s) / (n - m);
  // p ≥ 1 happens when the attackers alone are half the peers (s ≤ 0): as far out as a quantile goes.
  return normalQuantile(Math.min(Math.max(p, 1e-9), 1 - 1e-9));
}
