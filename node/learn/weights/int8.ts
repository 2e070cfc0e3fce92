/**
 * Symmetric per-tensor int8 quantisation.
 *
 * scale = maxAbs / 127 rounded to float32, nudged up one float32 ulp if needed so that
 * 127·scale ≥ maxAbs (so no value is clipped); scale = 0 for an all-zero tensor.
 * q = round(v / scale) (nearest, ties toward +∞), always in [-127, 127]; decoded v' = float32(q·scale).
 * Bound: |v' − v| ≤ scale·(1/2 + 2^-17), where the 2^-17 covers the float32 rounding of q·scale
 * (≤ 127·2^-24) and float64 rounding in the quotient (< 2^-44); and scale ≤ (maxAbs/127)·(1 + 2^-23)
 * whenever scale is a normal float32 (maxAbs ≥ 1.5e-36), so the bound is ≈ maxAbs/254.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The float32 scale used for a tensor whose largest |value| is `maxAbs` (finite, ≥ 0). */
export function int8Scale(maxAbs: number): number {
  if (maxAbs === 0) return 0;
  scratchF32[0] = maxAbs / 127;
  if ((scratchF32[0] as number) * 127 < maxAbs) scratchU32[0] = (scratchU32[0] as number) + 1; // next float32 up
  return scratchF32[0] as number;
}

/** Largest |value|, or −(1 + index) of the first non-finite value. */
function maxAbsOf(values: Float32Array): number {
  // Branch-free (sign tests mispredict on random data): v·0 is NaN only for NaN/±Infinity.
  let maxAbs = 0;
  let poison = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    poison += v * 0;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  if (poison === poison) return maxAbs;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) return -1 - i;
  }
  return -1; // unreachable: poison is NaN only if some value is non-finite
}

/** out[i] = round(values[i]·inv), ties toward +∞; needs |values[i]·inv| < 127.5. */
function quantizeWith(values: Float32Array, out: Int8Array, inv: number): void {
  // x + 128.5 is in (1, 255]: truncation is floor there, so this is floor(x + 0.5) without a call.
  for (let i = 0; i < values.length; i++) out[i] = (((values[i] as number) * inv + 128.5) | 0) - 128;
}

/**
 * Largest |value| int8 encodes: above it, the scale rounded up makes 127·scale overflow float32,
 * and the largest values would decode as ±Infinity (found by the fuzz harness).
 */
export const MAX_INT8_ENCODABLE = 3.4e38;

/**
 * Quantises `values` into `out` (same length) and returns the scale; or returns the index of
 * the first non-finite value as `{ nonFinite }`, or of the first value beyond ±MAX_INT8_ENCODABLE
 * as `{ tooLarge }` (nothing useful is written then).
 */
export function quantizeInt8(values: Float32Array, out: Int8Array): number | { nonFinite: number } | { tooLarge: number } {
  const maxAbs = maxAbsOf(values);
  if (maxAbs < 0) return { nonFinite: -1 - maxAbs };
  if (maxAbs > MAX_INT8_ENCODABLE) return { tooLarge: values.findIndex((v) => Math.abs(v) > MAX_INT8_ENCODABLE) };
  const scale = int8Scale(maxAbs);
  if (scale === 0) {
    out.fill(0);
    return 0;
  }
  // 127·scale ≥ maxAbs, so |v·inv| ≤ 127·(1 + 2^-52) and the rounded value stays in [-127, 127].
  quantizeWith(values, out, 1 / scale);
  return scale;
}

/** out[i] = float32(q[i]·scale). Returns the index of the first q = −128 (not allowed), or −1. */
export function dequantizeInt8(q: Int8Array, scale: number, out: Float32Array): number {
  let bad = -1;
  for (let i = 0; i < q.length; i++) {
    const x = q[i] as number;
    if (x === -128 && bad < 0) bad = i;
    out[i] = x * scale;
  }
  return bad;
}
