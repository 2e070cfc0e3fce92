/**
 * IEEE-754 binary16 ("half") conversion, by bit manipulation on the float32 bit patterns.
 *
 * float32 → float16 rounds to nearest, ties to even, and handles every class:
 * - |x| < 2^-14 becomes a half subnormal (or ±0), absolute error ≤ 2^-25;
 * - 2^-14 ≤ |x| < 65520 becomes a normal half, relative error ≤ 2^-11 (values in (65504, 65520)
 *   round down to 65504);
 * - finite |x| ≥ 65520 rounds to ±Infinity: reported as an overflow (see `floatsToHalves`);
 * - ±Infinity stays ±Infinity; NaN stays NaN (quiet, top mantissa bits kept).
 * float16 → float32 is exact (a 64 Ki-entry lookup table, built on first use).
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Half bits of one float32 bit pattern, with the sign; ±Infinity (0x7c00) on overflow. */
function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a < 0x38800000) {
    // |x| < 2^-14: half subnormal or zero. Half subnormal value = h·2^-24 = sig·2^(e−150) → h = sig >> (126 − e).
    const e = a >>> 23;
    if (e < 102) return sign; // |x| < 2^-25: rounds to ±0 (2^-25 itself is a tie, handled below)
    const sig = (a & 0x7fffff) | 0x800000;
    const shift = 126 - e; // 14..24
    let h = sig >>> shift;
    const rem = sig & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++;
    return sign | h; // a carry into bit 10 gives the smallest normal, which is right
  }
  if (a < 0x7f800000) {
    // Re-bias the exponent (127 → 15), then round the 13 dropped bits to nearest even;
    // a carry out of the mantissa bumps the exponent, up to 0x7c00 (Infinity) on overflow.
    const h = (a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13;
    return sign | (h > 0x7c00 ? 0x7c00 : h);
  }
  if (a === 0x7f800000) return sign | 0x7c00;
  return sign | 0x7e00 | ((a >>> 13) & 0x3ff); // NaN, quiet
}

/** Float32 bits of one half bit pattern (exact). */
function floatBitsFromHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  let m = h & 0x3ff;
  if (e === 0) {
    if (m === 0) return sign >>> 0;
    let exp = 113; // normalise the subnormal: value m·2^-24
    while ((m & 0x400) === 0) {
      m <<= 1;
      exp--;
    }
    return (sign | (exp << 23) | ((m & 0x3ff) << 13)) >>> 0;
  }
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
}

/** The half bit pattern nearest to `x` (after rounding `x` to float32). */
export function float32ToFloat16Bits(x: number): number {
  scratchF32[0] = x;
  return halfFromFloatBits(scratchU32[0] as number);
}

/** The value of a half bit pattern. */
export function float16BitsToFloat32(h: number): number {
  scratchU32[0] = floatBitsFromHalf(h & 0xffff);
  return scratchF32[0] as number;
}

/**
 * Converts `src` into half bit patterns in `dst` (same length). Stops and returns the index of
 * the first finite value that overflows the half range (|v| ≥ 65520), or returns −1 when done.
 */
export function floatsToHalves(src: Float32Array, dst: Uint16Array): number {
  if (dst.length !== src.length) throw new RangeError(`floatsToHalves: lengths differ (${src.length} vs ${dst.length})`);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const n = bits.length;
  for (let i = 0; i < n; i++) {
    const x = bits[i] as number;
    const a = x & 0x7fffffff;
    if (a >= 0x38800000 && a < 0x47000000) {
      // Fast path, 2^-14 ≤ |x| < 32768: normal half, no overflow possible.
      dst[i] = ((x >>> 16) & 0x8000) | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
    } else {
      const h = halfFromFloatBits(x);
      if ((h & 0x7fff) === 0x7c00 && a < 0x7f800000) return i;
      dst[i] = h;
    }
  }
  return -1;
}

let table: Uint32Array | undefined;

/** Float32 bit patterns of all 65536 halves. */
function halfTable(): Uint32Array {
  if (table === undefined) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = floatBitsFromHalf(h);
  }
  return table;
}

/** Converts half bit patterns in `src` to floats in `dst` (same length); exact. */
export function halvesToFloats(src: Uint16Array, dst: Float32Array): void {
  if (dst.length !== src.length) throw new RangeError(`halvesToFloats: lengths differ (${src.length} vs ${dst.length})`);
  const t = halfTable();
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length); // bit copies keep NaN payloads
  for (let i = 0; i < src.length; i++) out[i] = t[src[i] as number] as number;
}
