import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  ENCODINGS,
  WeightsCodecError,
  decodeWeights,
  encodeManifest,
  encodeWeights,
  encodedSize,
  flatten,
  int8Scale,
  isWeightsEncoding,
  type FlatWeights,
  type WeightsEncoding,
  type WeightsManifest,
} from '../../node/learn/weights/index.ts';


function randomFlat(seed: number, spread = 1): FlatWeights {
  const rng = new Rng(seed);
  const make = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  return flatten([
    { name: 'conv/kernel', shape: [3, 3, 2, 4], values: make(72, 0.3 * spread) },
    { name: 'conv/bias', shape: [4], values: make(4, 0.01 * spread) },
    { name: 'dense/kernel', shape: [16, 10], values: make(160, 2 * spread) },
    { name: 'zeros', shape: [5], values: new Float32Array(5) },
    { name: 'empty', shape: [0], values: new Float32Array(0) },
    { name: 'big', shape: [100, 1000], values: make(100_000, 0.05 * spread) },
  ]);
}

function small(): FlatWeights {
  return flatten([
    { name: 'a', shape: [2], values: new Float32Array([1.5, -0.25]) },
    { name: 'b', shape: [], values: new Float32Array([3]) },
  ]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WeightsCodecError) {
      expect(error.name).toBe('WeightsCodecError');
      return error.code;
    }
    throw error;
  }
  return 'no error';
}

function errorOf(fn: () => unknown): WeightsCodecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WeightsCodecError) return error;
    throw error;
  }
  throw new Error('expected a WeightsCodecError');
}

/** Builds an encoding by hand: header + manifest + zero padding + payload. */
function frame(encodingId: number, manifest: Uint8Array, payload: Uint8Array): Uint8Array {
  const start = (12 + manifest.length + 3) & ~3;
  const out = new Uint8Array(start + payload.length);
  out.set([0x47, 0x46, 0x4c, 0x57, 1, encodingId, 0, 0]);
  new DataView(out.buffer).setUint32(8, manifest.length, true);
  out.set(manifest, 12);
  out.set(payload, start);
  return out;
}

/** Hand-written canonical manifest bytes for tensors given as [name, dims]. */
function manifestBytes(tensors: [string, number[]][], count = tensors.length): Uint8Array {
  const parts: number[] = [];
  const u32 = (x: number) => parts.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  u32(count);
  for (const [name, dims] of tensors) {
    const bytes = new TextEncoder().encode(name);
    parts.push(bytes.length & 0xff, bytes.length >>> 8, ...bytes, 1, dims.length);
    dims.forEach(u32);
  }
  return Uint8Array.from(parts);
}

function bytesOf(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function scalesOf(bytes: Uint8Array, tensors: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = (12 + view.getUint32(8, true) + 3) & ~3;
  return Array.from({ length: tensors }, (_, t) => view.getFloat32(start + 4 * t, true));
}

describe('encodeWeights / decodeWeights round trips', () => {
  it('f32 is bit-exact, including NaN, ±Infinity, -0 and subnormals', () => {
    const flat = randomFlat(1);
    flat.values.set([Number.NaN, Infinity, -Infinity, -0, 1e-45, 3.4e38], 10);
    const back = decodeWeights(encodeWeights(flat, 'f32'), flat.manifest);
    expect(back.manifest).toEqual(flat.manifest);
    expect(Buffer.from(back.values.buffer).equals(Buffer.from(flat.values.buffer))).toBe(true);
  });

  it('f16 stays within 2^-11 relative error (normal range) and 2^-25 absolute error (below it)', () => {
    const rng = new Rng(2);
    const values = new Float32Array(200_000);
    for (let i = 0; i < values.length; i++) {
      const v = rng.normal() * 10 ** (rng.int(14) - 9); // magnitudes from ~1e-10 to ~1e5
      values[i] = Math.max(-65519, Math.min(65519, v));
    }
    const flat = flatten([{ name: 'w', shape: [values.length], values }]);
    const back = decodeWeights(encodeWeights(flat, 'f16'));
    let violations = 0;
    let normals = 0;
    let subnormals = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const err = Math.abs(back.values[i]! - v);
      if (Math.abs(v) >= 2 ** -14) {
        normals++;
        if (err > 2 ** -11 * Math.abs(v)) violations++;
      } else {
        subnormals++;
        if (err > 2 ** -25) violations++;
      }
    }
    expect(violations).toBe(0);
    expect(normals).toBeGreaterThan(10_000);
    expect(subnormals).toBeGreaterThan(10_000);
  });

  it('f16 keeps ±Infinity and NaN and refuses finite values that would overflow', () => {
    const flat = flatten([{ name: 'w', shape: [5], values: new Float32Array([Infinity, -Infinity, Number.NaN, 65519, -65504]) }]);
    const back = decodeWeights(encodeWeights(flat, 'f16')).values;
    expect(back[0]).toBe(Infinity);
    expect(back[1]).toBe(-Infinity);
    expect(back[2]).toBeNaN();
    expect(back[3]).toBe(65504);
    expect(back[4]).toBe(-65504);
    const big = flatten([
      { name: 'ok', shape: [1], values: new Float32Array([1]) },
      { name: 'huge', shape: [3], values: new Float32Array([0, 1, 70000]) },
    ]);
    const error = errorOf(() => encodeWeights(big, 'f16'));
    expect(error.code).toBe('not-encodable');
    expect(error.message).toMatch(/'huge' element 2 = 70000.*'f32'/);
    expect(codeOf(() => encodeWeights(flatten([{ name: 'x', shape: [1], values: new Float32Array([-65520]) }]), 'f16'))).toBe('not-encodable');
  });

  it('int8 stays within scale·(1/2 + 2^-17) per element, scale ≈ maxAbs/127 per tensor', () => {
    const flat = randomFlat(3, 5);
    const bytes = encodeWeights(flat, 'int8');
    const back = decodeWeights(bytes, flat.manifest);
    const scales = scalesOf(bytes, flat.manifest.tensors.length);
    let at = 0;
    flat.manifest.tensors.forEach((spec, t) => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const original = flat.values.subarray(at, at + n);
      const decoded = back.values.subarray(at, at + n);
      at += n;
      const maxAbs = original.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const scale = scales[t]!;
      if (maxAbs === 0) {
        expect(scale).toBe(0);
        expect(Array.from(decoded).every((v) => v === 0)).toBe(true);
        return;
      }
      expect(scale * 127).toBeGreaterThanOrEqual(maxAbs);
      expect(scale).toBeLessThanOrEqual((maxAbs / 127) * (1 + 2 ** -23));
      const bound = scale * (0.5 + 2 ** -17);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(decoded[i]! - original[i]!));
      expect(worst).toBeLessThanOrEqual(bound);
      expect(worst).toBeGreaterThan(scale / 10); // the quantisation is real, not a lucky exact case
    });
    expect(scales[3]).toBe(0); // the all-zero tensor
  });

  it('int8 refuses tensors holding non-finite values, naming the tensor', () => {
    const flat = small();
    flat.values[1] = Number.NaN;
    const error = errorOf(() => encodeWeights(flat, 'int8'));
    expect(error.code).toBe('not-encodable');
    expect(error.message).toMatch(/'a' element 1 is NaN/);
  });

  it('int8 refuses values so large that they would decode as ±Infinity (found by the fuzz harness)', () => {
    for (const huge of [3.4028232635611926e38, -3.4028234663852886e38]) {
      const flat = small();
      flat.values[1] = huge;
      const error = errorOf(() => encodeWeights(flat, 'int8'));
      expect(error.code).toBe('not-encodable');
      expect(error.message).toMatch(/'a' element 1 is .*beyond ±3\.4e\+38/);
    }
    const flat = small();
    flat.values[1] = 3.4e38; // the largest accepted: decodes finite, within the bound
    const decoded = decodeWeights(encodeWeights(flat, 'int8')).values;
    expect(Number.isFinite(decoded[1])).toBe(true);
    expect(Math.abs(decoded[1]! - Math.fround(3.4e38))).toBeLessThanOrEqual(3.4e38 / 254 * 1.001);
  });

  it('decodes from any byte offset, aliasing nothing', () => {
    for (const encoding of ENCODINGS) {
      const flat = randomFlat(4);
      const bytes = encodeWeights(flat, encoding);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      const input = shifted.subarray(1);
      const back = decodeWeights(input);
      const reference = decodeWeights(bytes);
      expect(bytesOf(back.values).equals(bytesOf(reference.values))).toBe(true);
      input.fill(0);
      expect(back.values.buffer).not.toBe(shifted.buffer);
      expect(bytesOf(back.values).equals(bytesOf(reference.values))).toBe(true); // unaffected by the wipe
      if (encoding === 'f32') expect(bytesOf(back.values).equals(bytesOf(flat.values))).toBe(true);
    }
  });

  it('encodedSize predicts the encoded length exactly', () => {
    for (const flat of [randomFlat(5), small(), flatten([])]) {
      for (const encoding of ENCODINGS) {
        expect(encodedSize(flat.manifest, encoding)).toBe(encodeWeights(flat, encoding).length);
      }
    }
    const m = randomFlat(5).manifest;
    expect(encodedSize(m, 'f32') - encodedSize(m, 'f16')).toBe(2 * 100_241);
    expect(encodedSize(m, 'f16') - encodedSize(m, 'int8')).toBe(100_241 - 4 * 6);
  });

  it('writes the documented layout', () => {
    const bytes = encodeWeights(small(), 'int8');
    const manifest = encodeManifest(small().manifest);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x47, 0x46, 0x4c, 0x57, 1, 3, 0, 0]);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(manifest.length);
    expect(Array.from(bytes.subarray(12, 12 + manifest.length))).toEqual(Array.from(manifest));
    const start = (12 + manifest.length + 3) & ~3;
    expect(scalesOf(bytes, 2)).toEqual([int8Scale(1.5), int8Scale(3)]);
    expect(Array.from(new Int8Array(bytes.buffer, start + 8))).toEqual([127, -21, 127]);
    expect(bytes.length).toBe(start + 8 + 3);
    expect(Array.from(encodeWeights(small(), 'f16').subarray(5, 6))).toEqual([2]);
  });

  it('int8Scale is the smallest float32 s with 127·s ≥ maxAbs, within one ulp of maxAbs/127', () => {
    const rng = new Rng(7);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const previous = (x: number) => {
      f32[0] = x;
      u32[0]! -= 1;
      return f32[0]!;
    };
    let nudged = 0;
    const failures: number[] = [];
    for (let trial = 0; trial < 20_000; trial++) {
      const maxAbs = Math.fround(Math.exp(rng.normal() * 10));
      const s = int8Scale(maxAbs);
      if (s !== Math.fround(s) || s * 127 < maxAbs || previous(s) * 127 >= maxAbs) failures.push(maxAbs);
      if (s !== Math.fround(maxAbs / 127)) nudged++;
    }
    expect(failures).toEqual([]);
    expect(nudged).toBeGreaterThan(0); // the nudge up is needed for some inputs
    expect(int8Scale(0)).toBe(0);
  });

  it('lists the encodings and narrows strings to them', () => {
    expect(ENCODINGS).toEqual(['f32', 'f16', 'int8']);
    expect(ENCODINGS.map((e) => isWeightsEncoding(e))).toEqual([true, true, true]);
    expect(isWeightsEncoding('f64')).toBe(false);
    expect(isWeightsEncoding('toString')).toBe(false);
  });

  it('rejects unknown encodings on the way in', () => {
    expect(codeOf(() => encodeWeights(small(), 'f64' as WeightsEncoding))).toBe('unknown-encoding');
    expect(codeOf(() => encodedSize(small().manifest, 'toString' as WeightsEncoding))).toBe('unknown-encoding');
  });
});

describe('decodeWeights rejects malformed input', () => {
  it('rejects every proper prefix of a valid encoding as truncated', () => {
    for (const encoding of ENCODINGS) {
      const bytes = encodeWeights(small(), encoding);
      for (let length = 0; length < bytes.length; length++) {
        expect(codeOf(() => decodeWeights(bytes.subarray(0, length))), `${encoding} prefix ${length}`).toBe('truncated');
      }
      expect(decodeWeights(bytes).values.length).toBe(3);
    }
  });

  it('rejects trailing bytes', () => {
    for (const encoding of ENCODINGS) {
      const bytes = encodeWeights(small(), encoding);
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      const error = errorOf(() => decodeWeights(longer));
      expect(error.code).toBe('trailing-bytes');
      expect(error.message).toContain('1 unexpected byte');
    }
  });

  it('rejects wrong magic, unknown versions and encodings, non-zero reserved and padding bytes', () => {
    const bytes = encodeWeights(small(), 'f32');
    const patched = (at: number, value: number) => {
      const copy = bytes.slice();
      copy[at] = value;
      return copy;
    };
    expect(codeOf(() => decodeWeights(patched(0, 0x48)))).toBe('bad-magic');
    expect(codeOf(() => decodeWeights(patched(3, 0)))).toBe('bad-magic');
    expect(codeOf(() => decodeWeights(new TextEncoder().encode('{"tensors":[]}')))).toBe('bad-magic');
    expect(errorOf(() => decodeWeights(patched(4, 2))).message).toMatch(/version 2 is not supported/);
    expect(codeOf(() => decodeWeights(patched(4, 0)))).toBe('unsupported-version');
    expect(codeOf(() => decodeWeights(patched(5, 0)))).toBe('unknown-encoding');
    expect(codeOf(() => decodeWeights(patched(5, 4)))).toBe('unknown-encoding');
    expect(codeOf(() => decodeWeights(patched(6, 1)))).toBe('malformed');
    const manifestLength = new DataView(bytes.buffer).getUint32(8, true);
    const padAt = 12 + manifestLength;
    expect(padAt % 4).not.toBe(0); // this example does have padding
    expect(codeOf(() => decodeWeights(patched(padAt, 1)))).toBe('malformed');
    expect(codeOf(() => decodeWeights('GFLW' as unknown as Uint8Array))).toBe('malformed');
  });

  it('checks the manifest against the expected one and says which tensor differs', () => {
    const bytes = encodeWeights(small(), 'f16');
    const expected: WeightsManifest = {
      tensors: [
        { name: 'a', shape: [1, 2], dtype: 'float32' },
        { name: 'b', shape: [], dtype: 'float32' },
      ],
    };
    const error = errorOf(() => decodeWeights(bytes, expected));
    expect(error.code).toBe('layout-mismatch');
    expect(error.message).toContain("tensor 'a' has shape [2] in the encoding but [1, 2] in the expected manifest");
    const renamed: WeightsManifest = { tensors: [small().manifest.tensors[0]!, { name: 'c', shape: [], dtype: 'float32' }] };
    expect(errorOf(() => decodeWeights(bytes, renamed)).message).toContain("tensor #1 is named 'b'");
    const fewer: WeightsManifest = { tensors: [small().manifest.tensors[0]!] };
    expect(errorOf(() => decodeWeights(bytes, fewer)).message).toMatch(/'b' is only in the encoding/);
    expect(decodeWeights(bytes, small().manifest).values.length).toBe(3);
  });

  it('rejects structurally malformed manifests', () => {
    const payload = new Uint8Array(4);
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short for the count', Uint8Array.from([1, 0]), /too short/],
      ['a tensor count far beyond the bytes present', manifestBytes([['a', [1]]], 0xffffffff), /claims 4294967295 tensors/],
      ['a tensor running past the end', manifestBytes([['a', [1]]], 2), /claims 2 tensors|runs past the end/],
      ['an empty name', manifestBytes([['', [1]]]), /empty name/],
      ['invalid UTF-8 in a name', Uint8Array.from([1, 0, 0, 0, 2, 0, 0xc3, 0x28, 1, 1, 1, 0, 0, 0]), /UTF-8/],
      ['an unknown dtype', Uint8Array.from([1, 0, 0, 0, 1, 0, 0x61, 7, 1, 1, 0, 0, 0]), /dtype code 7/],
      ['duplicate names', manifestBytes([['a', [1]], ['a', [0]]]), /more than once/],
      ['unused bytes after the last tensor', Uint8Array.from([...manifestBytes([['a', [1]]]), 0]), /unused bytes/],
    ];
    for (const [label, manifest, message] of cases) {
      const error = errorOf(() => decodeWeights(frame(1, manifest, payload)));
      expect(error.code, label).toBe('malformed');
      expect(error.message, label).toMatch(message);
    }
  });

  it('rejects shape products that overflow', () => {
    const huge = 0xffffffff;
    const error = errorOf(() => decodeWeights(frame(1, manifestBytes([['w', [huge, huge, huge]]]), new Uint8Array(0))));
    expect(error.code).toBe('malformed');
    expect(error.message).toMatch(/more than \d+ elements/);
    const total = errorOf(() => decodeWeights(frame(1, manifestBytes(Array.from({ length: 300 }, (_, i) => [`t${i}`, [huge, huge]] as [string, number[]])), new Uint8Array(0))));
    expect(total.code).toBe('malformed');
  });

  it('rejects a header claiming far more elements than the input holds, before allocating', () => {
    // 2^31 and 2^40 elements in a ~100-byte buffer. Allocating 2^40 floats would throw a
    // RangeError, so getting a WeightsCodecError proves the length was checked first.
    for (const dims of [[2 ** 31], [2 ** 20, 2 ** 20]]) {
      for (const id of [1, 2, 3]) {
        const bytes = frame(id, manifestBytes([['w', dims]]), new Uint8Array(100 - 24));
        const error = errorOf(() => decodeWeights(bytes));
        expect(error.code).toBe('truncated');
        expect(error.message).toMatch(/needs \d+/);
      }
    }
    // Likewise a manifest length field pointing past the end.
    const bytes = encodeWeights(small(), 'f32');
    new DataView(bytes.buffer).setUint32(8, 0x7fffffff, true);
    expect(codeOf(() => decodeWeights(bytes))).toBe('truncated');
  });

  it('enforces maxBytes before parsing', () => {
    const bytes = encodeWeights(randomFlat(6), 'f32');
    const error = errorOf(() => decodeWeights(bytes, undefined, { maxBytes: bytes.length - 1 }));
    expect(error.code).toBe('too-large');
    expect(error.message).toContain(`limit of ${bytes.length - 1}`);
    expect(decodeWeights(bytes, undefined, { maxBytes: bytes.length }).values.length).toBe(100_241);
    expect(codeOf(() => decodeWeights(new Uint8Array(64), undefined, { maxBytes: 10 }))).toBe('too-large');
  });

  it('rejects int8 payloads with invalid scales or the value -128', () => {
    const bytes = encodeWeights(small(), 'int8');
    const view = new DataView(bytes.buffer);
    const start = (12 + view.getUint32(8, true) + 3) & ~3;
    for (const scale of [-1, Number.NaN, Infinity, -0]) {
      const copy = bytes.slice();
      new DataView(copy.buffer).setFloat32(start, scale, true);
      const error = errorOf(() => decodeWeights(copy));
      expect(error.code).toBe('malformed');
      expect(error.message).toMatch(/tensor 'a': int8 scale/);
    }
    const copy = bytes.slice();
    copy[start + 8 + 1] = 0x80; // tensor 'a' element 1 = -128
    expect(errorOf(() => decodeWeights(copy)).message).toMatch(/'a' element 1: int8 value -128/);
  });
});
