/**
 * Delta arithmetic on flat weights. All loops run over whole typed arrays.
 *
 * Float32 note: JavaScript computes in float64 and rounds once when storing to a Float32Array,
 * which for a single + or − gives exactly the IEEE float32 result. So `applyDelta(base, delta(w, base))`
 * equals `w` whenever the subtraction is exact (e.g. w and base within a factor of 2 of each other,
 * by Sterbenz's lemma); in general each element is within 2^-23·(|w| + |base|) of w.
 */
import { WeightsCodecError } from './errors.ts';
import { assertSameLayout, cloneManifest, validateFlat, type FlatWeights } from './flat.ts';

function checkLengths(target: Float32Array, source: Float32Array, what: string): void {
  if (target.length !== source.length) {
    throw new WeightsCodecError('layout-mismatch', `${what}: lengths differ (${target.length} vs ${source.length})`);
  }
}

/** weights − base, as new flat weights with the same manifest. Layouts must match. */
export function delta(weights: FlatWeights, base: FlatWeights): FlatWeights {
  validateFlat(weights);
  validateFlat(base);
  assertSameLayout(weights.manifest, base.manifest, 'delta(weights, base): layouts differ', 'weights', 'base');
  const out = new Float32Array(weights.values.length);
  subtractInto(out, weights.values, base.values);
  return { manifest: cloneManifest(weights.manifest), values: out };
}

/** base + scale·delta, as new flat weights. Layouts must match. */
export function applyDelta(base: FlatWeights, d: FlatWeights, scale = 1): FlatWeights {
  validateFlat(base);
  validateFlat(d);
  assertSameLayout(base.manifest, d.manifest, 'applyDelta(base, delta): layouts differ', 'base', 'delta');
  const out = base.values.slice();
  addScaledInto(out, d.values, scale);
  return { manifest: cloneManifest(base.manifest), values: out };
}

/** out[i] = a[i] − b[i]. `out` may alias `a` or `b`. */
export function subtractInto(out: Float32Array, a: Float32Array, b: Float32Array): void {
  checkLengths(out, a, 'subtractInto');
  checkLengths(a, b, 'subtractInto');
  for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) - (b[i] as number);
}

/** target[i] += scale·source[i], in place. */
export function addScaledInto(target: Float32Array, source: Float32Array, scale = 1): void {
  checkLengths(target, source, 'addScaledInto');
  if (scale === 1) {
    for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + (source[i] as number);
  } else {
    for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + scale * (source[i] as number);
  }
}

/** values[i] *= scale, in place. */
export function scaleInPlace(values: Float32Array, scale: number): void {
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * scale;
}

/** Euclidean norm, accumulated in float64. NaN if any value is NaN, Infinity if any is infinite. */
export function l2Norm(values: Float32Array): number {
  // Two accumulators: shorter dependency chain, and a little less rounding error.
  let s0 = 0;
  let s1 = 0;
  const n = values.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = values[i] as number;
    const b = values[i + 1] as number;
    s0 += a * a;
    s1 += b * b;
  }
  if (i < n) {
    const a = values[i] as number;
    s0 += a * a;
  }
  return Math.sqrt(s0 + s1);
}

const FINITE_BLOCK = 1024;

/** Index of the first NaN or ±Infinity, or −1 if every value is finite. */
export function allFinite(values: Float32Array): number {
  const n = values.length;
  for (let start = 0; start < n; start += FINITE_BLOCK) {
    const end = Math.min(n, start + FINITE_BLOCK);
    // v·0 is ±0 for finite v and NaN for NaN or ±Infinity, so one bad value poisons the block's sum.
    // (A branch-free inner loop: about twice as fast as testing every element.)
    let acc = 0;
    for (let i = start; i < end; i++) acc += (values[i] as number) * 0;
    if (acc !== acc) {
      for (let i = start; i < end; i++) {
        const v = values[i] as number;
        if (v - v !== 0) return i;
      }
    }
  }
  return -1;
}
