/**
 * docs/PROTOCOL.md §3.5–3.6 (GFLW known answers) against the codec: every blob of the table is
 * what the encoder writes and decodes back, and the int8 note's arithmetic — the scale bump of
 * §3.4 decided by an exact (binary64) comparison, not a float32 one — is what the code does.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, hashWeights, int8Scale, type FlatWeights, type WeightsEncoding } from '../../node/learn/weights/index.ts';
import { docPart, hexBytes, tableRows } from './doc-tables.ts';

const SECTION = docPart('### 3.5 ', '### 3.7 ');
const VECTOR: FlatWeights = { manifest: { tensors: [{ name: 'w', shape: [2], dtype: 'float32' }] }, values: Float32Array.from([1, -2]) };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;
const hex32 = (value: number) => `0x${bits(value).toString(16).padStart(8, '0')}`;

/** The first match of `pattern` in the section, or a failure naming what the document lacks. */
function stated(pattern: RegExp): RegExpExecArray {
  const match = pattern.exec(SECTION);
  if (match === null) throw new Error(`§3.5 no longer states ${pattern}`);
  return match;
}

describe('PROTOCOL §3.5 known-answer blobs', () => {
  const rows = tableRows(SECTION, ['encoding', 'blob (hex)', 'sha256 of blob']);

  it('covers every encoding', () => {
    expect(rows.map(([encoding]) => encoding).sort()).toEqual(['f16', 'f32', 'int8']);
  });

  for (const [encoding, blob, hash] of rows) {
    it(`${encoding}: the encoder writes the documented bytes, which hash and decode as stated`, () => {
      const expected = hexBytes(blob!);
      const written = encodeWeights(VECTOR, encoding as WeightsEncoding);
      expect(Buffer.from(written).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      expect(sha256(written)).toBe(hash);
      const decoded = decodeWeights(expected);
      expect(decoded.manifest).toEqual(VECTOR.manifest);
      if (encoding !== 'int8') expect([...decoded.values]).toEqual([1, -2]);
    });
  }

  it('M and P are those of the blobs', () => {
    const [, m, p] = stated(/\(`M = (\d+)`, `P = (\d+)`\.\)/);
    const blob = encodeWeights(VECTOR, 'f32');
    const manifestLength = new DataView(blob.buffer, blob.byteOffset).getUint32(8, true);
    expect(manifestLength).toBe(Number(m));
    expect((4 - ((12 + manifestLength) % 4)) % 4).toBe(Number(p));
  });
});

describe('PROTOCOL §3.5 int8 note: the scale bump compares exactly', () => {
  it('float32(2/127) is the stated pattern, and 127 times it is below 2 exactly but 2.0 in float32', () => {
    const [, rounded, approx] = stated(/`float32\(2\/127\)` = `(0x[0-9a-f]{8})`\s+\(([\d.]+)\)/);
    const scale = Math.fround(2 / 127);
    expect(hex32(scale)).toBe(rounded);
    expect(String(scale)).toBe(approx);
    const [, product] = stated(/exact in binary64, ≈ ([\d.]+)/);
    expect(String(scale * 127)).toBe(product);
    expect(scale * 127 < 2).toBe(true); // binary64: the product of a float32 and 127 is exact
    expect(Math.fround(scale * 127)).toBe(2); // a float32 product would not bump
  });

  it("the code's scale is the bumped one, stored as stated, and quantises to the stated q", () => {
    const [, bumped, approx, stored] = stated(/bumped to `(0x[0-9a-f]{8})` \(([\d.]+); stored LE as `([0-9a-f]{8})`\)/);
    const scale = int8Scale(2);
    expect(hex32(scale)).toBe(bumped);
    expect(String(scale)).toBe(approx);
    expect(bits(scale)).toBe(bits(Math.fround(2 / 127)) + 1);
    const [, inverse] = stated(/`1\/scale` =\s+([\d.]+)/);
    expect(String(1 / scale)).toBe(inverse);
    const blob = encodeWeights(VECTOR, 'int8');
    const payload = blob.subarray(blob.byteLength - 6);
    expect(Buffer.from(payload.subarray(0, 4)).toString('hex')).toBe(stored);
    const [, q0, q1, qHex] = stated(/= \[(−?\d+), (−?\d+)\]` \(`([0-9a-f ]+)`\)/);
    const q = [...new Int8Array(payload.buffer, payload.byteOffset + 4, 2)];
    expect(q).toEqual([Number(q0!.replace('−', '-')), Number(q1!.replace('−', '-'))]);
    expect(Buffer.from(payload.subarray(4)).toString('hex')).toBe(qHex!.replace(/ /g, ''));
  });
});

describe('PROTOCOL §3.6 weights content hash', () => {
  it('is sha256 of the stated 21 bytes, as hashWeights computes it', () => {
    const section = docPart('### 3.6 ', '### 3.7 ');
    const match = /it is `([0-9a-f]{64})`\s+\(over the (\d+) bytes `([0-9a-f ]+)`\)/.exec(section);
    expect(match).not.toBeNull();
    const [, hash, count, bytes] = match!;
    const input = hexBytes(bytes!);
    expect(input.byteLength).toBe(Number(count));
    expect(sha256(input)).toBe(hash);
    expect(hashWeights(VECTOR)).toBe(hash);
  });
});
