import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  floatsToHalves,
  halvesToFloats,
} from '../../node/learn/weights/index.ts';

const isNanHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

function floatFromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

describe('float16 conversion', () => {
  it('round-trips every one of the 65536 half bit patterns', () => {
    const failures: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const back = float32ToFloat16Bits(float16BitsToFloat32(h));
      const ok = isNanHalf(h) ? isNanHalf(back) && (back & 0x200) === 0x200 : back === h;
      if (!ok) failures.push(`${h.toString(16)} -> ${back.toString(16)}`);
    }
    expect(failures).toEqual([]);
  });

  it('converts known values', () => {
    const cases: [number, number, number][] = [
      [0, 0x0000, 0], [-0, 0x8000, -0], [1, 0x3c00, 1], [-2, 0xc000, -2], [0.5, 0x3800, 0.5], [65504, 0x7bff, 65504],
      [2 ** -14, 0x0400, 2 ** -14], [2 ** -24, 0x0001, 2 ** -24], [-(2 ** -24), 0x8001, -(2 ** -24)],
      [0.1, 0x2e66, 0.0999755859375], [1 / 3, 0x3555, 0.333251953125],
      [Infinity, 0x7c00, Infinity], [-Infinity, 0xfc00, -Infinity],
    ];
    for (const [value, bits, decoded] of cases) {
      expect(float32ToFloat16Bits(value), `${value}`).toBe(bits);
      expect(Object.is(float16BitsToFloat32(bits), decoded), `${bits.toString(16)}`).toBe(true);
    }
    expect(isNanHalf(float32ToFloat16Bits(Number.NaN))).toBe(true);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
  });

  it('rounds ties to even, in the normal and the subnormal range', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 0x3c00 and 0x3c01
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway between 0x3c01 and 0x3c02
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -23)).toBe(0x3c01); // just above halfway
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // halfway between 0 and the smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25 * (1 + 2 ** -23))).toBe(0x0001);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up out of the subnormals
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // halfway to 65536: even is Infinity
    expect(float32ToFloat16Bits(1e-30)).toBe(0);
  });

  it('picks the nearest half (ties even) for random float32 values across all exponents', () => {
    const rng = new Rng('f16-nearest');
    const failures: string[] = [];
    let ties = 0;
    for (let trial = 0; trial < 200_000; trial++) {
      const exponent = 90 + rng.int(53); // from far below the subnormals to 2^15
      // Every 8th trial, clear the low mantissa bits to hit exact ties more often.
      const mantissa = rng.int(1 << 23) & (trial % 8 === 0 ? ~0x1fff | 0x1000 : -1);
      const bits = ((rng.int(2) << 31) | (exponent << 23) | mantissa) >>> 0;
      const v = floatFromBits(bits);
      const h = float32ToFloat16Bits(v);
      const magnitude = h & 0x7fff;
      // IEEE rounds as if the exponent were unbounded: Infinity stands for 2^16 here.
      const valueOf = (m: number) => (m === 0x7c00 ? 65536 : float16BitsToFloat32(m));
      const err = Math.abs(Math.abs(v) - valueOf(magnitude));
      for (const neighbour of [magnitude - 1, magnitude + 1]) {
        if (neighbour < 0 || neighbour > 0x7c00) continue;
        const other = Math.abs(Math.abs(v) - valueOf(neighbour));
        if (other < err || (other === err && (magnitude & 1) !== 0)) failures.push(`${v} -> ${h.toString(16)}`);
        if (other === err) ties++;
      }
      if (v !== 0 && h >>> 15 !== (v < 0 ? 1 : 0)) failures.push(`${v}: sign lost`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(ties).toBeGreaterThan(1000); // the tie-breaking rule was really exercised
  });

  it('bulk conversion agrees with the scalar one and is exact back', () => {
    const rng = new Rng('f16-bulk');
    const src = new Float32Array(50_000);
    for (let i = 0; i < src.length; i++) src[i] = rng.normal() * 10 ** (rng.int(14) - 9);
    src.set([Number.NaN, Infinity, -Infinity, 0, -0, 65504, -65519, 2 ** -24, 6e-8], 100);
    const halves = new Uint16Array(src.length);
    expect(floatsToHalves(src, halves)).toBe(-1);
    let mismatches = 0;
    for (let i = 0; i < src.length; i++) if (halves[i] !== float32ToFloat16Bits(src[i]!)) mismatches++;
    expect(mismatches).toBe(0);
    const back = new Float32Array(src.length);
    halvesToFloats(halves, back);
    for (let i = 0; i < src.length; i++) {
      const ref = float16BitsToFloat32(halves[i]!);
      if (!(Number.isNaN(ref) ? Number.isNaN(back[i]) : Object.is(back[i], ref))) mismatches++;
    }
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const allBack = new Float32Array(65536);
    halvesToFloats(all, allBack);
    for (let h = 0; h < 65536; h++) {
      const ref = float16BitsToFloat32(h);
      if (!(Number.isNaN(ref) ? Number.isNaN(allBack[h]) : Object.is(allBack[h], ref))) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(Number.isNaN(back[100])).toBe(true);
    expect(Array.from(back.subarray(101, 106))).toEqual([Infinity, -Infinity, 0, -0, 65504]);
  });

  it('reports the first finite value that would overflow to Infinity', () => {
    const halves = new Uint16Array(5);
    expect(floatsToHalves(new Float32Array([1, Infinity, 65519, -65520, 1e6]), halves)).toBe(3);
    expect(floatsToHalves(new Float32Array([3.4e38]), new Uint16Array(1))).toBe(0);
    expect(() => floatsToHalves(new Float32Array(2), new Uint16Array(3))).toThrow(RangeError);
  });
});
