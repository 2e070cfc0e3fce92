import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponseHeader,
  encodeRequest,
  encodeResponseHeader,
  encodeVarint,
  FrameDecoder,
  WireFormatError,
} from '../../protocols/blob/wire.ts';

const HASH = 'ab'.repeat(32);

function frames(input: Uint8Array[]): { frames: number[][]; boundary: boolean } {
  const out: number[][] = [];
  const decoder = new FrameDecoder({
    start: () => out.push([]),
    data: (bytes) => out.at(-1)?.push(...bytes),
    end: () => {},
  });
  for (const piece of input) decoder.feed(piece);
  return { frames: out, boundary: decoder.atBoundary };
}

describe('blob wire format', () => {
  it('encodes the request as varint 41, version 1, raw hash, uint64 big-endian max bytes', () => {
    const bytes = encodeRequest({ hash: HASH, maxBytes: 0x0102030405 });
    expect(bytes.byteLength).toBe(42);
    expect(bytes[0]).toBe(41);
    expect(bytes[1]).toBe(1);
    expect(Buffer.from(bytes.subarray(2, 34)).toString('hex')).toBe(HASH);
    expect([...bytes.subarray(34)]).toEqual([0, 0, 0, 1, 2, 3, 4, 5]);
    expect(decodeRequest(bytes.subarray(1))).toEqual({ hash: HASH, maxBytes: 0x0102030405 });
  });

  it('encodes the response header as varint 10, version, status, uint64 size', () => {
    const bytes = encodeResponseHeader({ status: 'too-large', size: 300 });
    expect([...bytes]).toEqual([10, 1, 2, 0, 0, 0, 0, 0, 0, 1, 44]);
    expect(decodeResponseHeader(bytes.subarray(1))).toEqual({ status: 'too-large', size: 300 });
  });

  it('rejects malformed bodies and unknown versions or statuses', () => {
    expect(() => decodeRequest(new Uint8Array(40))).toThrow(WireFormatError);
    const request = encodeRequest({ hash: HASH, maxBytes: 1 }).subarray(1);
    request[0] = 2;
    expect(() => decodeRequest(request)).toThrow(/version 2/);
    expect(() => decodeResponseHeader(Uint8Array.of(1, 9, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(/unknown response status 9/);
    expect(() => encodeRequest({ hash: 'AB'.repeat(32), maxBytes: 1 })).toThrow(WireFormatError);
  });

  it('clamps a uint64 above 2^53 - 1 to the largest safe integer', () => {
    const body = encodeRequest({ hash: HASH, maxBytes: 0 }).subarray(1);
    body.fill(0xff, 33);
    expect(decodeRequest(body).maxBytes).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('encodes varints in the shortest form', () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(127)]).toEqual([127]);
    expect([...encodeVarint(128)]).toEqual([0x80, 1]);
    expect([...encodeVarint(1024 * 1024)]).toEqual([0x80, 0x80, 0x40]);
  });

  it('splits frames however the input is cut, including empty frames', () => {
    const input = Uint8Array.of(2, 7, 8, 0, 0x80, 0x01, ...new Uint8Array(128).fill(5), 1, 9);
    const whole = frames([input]);
    const byteByByte = frames([...input].map((byte) => Uint8Array.of(byte)));
    expect(whole).toEqual(byteByByte);
    expect(whole.frames.map((frame) => frame.length)).toEqual([2, 0, 128, 1]);
    expect(whole.boundary).toBe(true);
    expect(frames([Uint8Array.of(3, 1)]).boundary).toBe(false);
    expect(frames([Uint8Array.of(0x80)]).boundary).toBe(false);
  });

  it('rejects a length prefix longer than 4 bytes', () => {
    expect(() => frames([Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01)])).toThrow(/longer than 4 bytes/);
  });
});
