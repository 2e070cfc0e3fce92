/** Fuzzing the blob protocol's framing and fixed-size messages (protocols/blob/wire.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponseHeader,
  encodeRequest,
  encodeResponseHeader,
  encodeVarint,
  frame,
  FrameDecoder,
  REQUEST_BODY_BYTES,
  RESPONSE_HEADER_BYTES,
  STATUS,
  WireFormatError,
  type BlobStatus,
  type ResponseHeader,
} from '../../protocols/blob/wire.ts';
import { hashArbitrary } from './arbitraries.ts';
import { bytesEqual, mutateAll, mutationsArbitrary, randomBytes } from './mutations.ts';
import { expectDecodeOutcome, fuzz } from './support.ts';

/** The body of a frame made by `frame()` with a one-byte prefix (bodies under 128 bytes). */
function body(framed: Uint8Array): Uint8Array {
  expect(framed[0]).toBeLessThan(0x80);
  return framed.subarray(1);
}

const maxBytesArbitrary = fc.oneof(fc.nat({ max: 1 << 20 }), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER));
const requestArbitrary = fc.record({ hash: hashArbitrary, maxBytes: maxBytesArbitrary });
const statusArbitrary = fc.constantFrom(...(Object.keys(STATUS) as BlobStatus[]));
const headerArbitrary: fc.Arbitrary<ResponseHeader> = fc.record({ status: statusArbitrary, size: maxBytesArbitrary });

/** Bodies near the expected size, so the field checks are reached, not only the length check. */
function nearSize(size: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(randomBytes, fc.uint8Array({ minLength: size - 1, maxLength: size + 1 }), fc.uint8Array({ minLength: size, maxLength: size }).map((bytes) => {
    bytes[0] = 1; // the right version byte, so the rest is looked at
    return bytes;
  }));
}

/** Values above 2^53 − 1 saturate: the one documented case of several encodings of one value. */
function saturates(bytes: Uint8Array, offset: number): boolean {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset) > BigInt(Number.MAX_SAFE_INTEGER);
}

describe('decodeRequest', () => {
  it('returns a request or throws WireFormatError on arbitrary bodies; what it returns re-encodes to the same bytes unless maxBytes saturated', () => {
    fuzz('blob wire: decodeRequest(random body)', 500, [nearSize(REQUEST_BODY_BYTES)], (bytes) => {
      const outcome = expectDecodeOutcome(() => decodeRequest(bytes), [WireFormatError]);
      if (!outcome.ok) return;
      expect(outcome.value.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isSafeInteger(outcome.value.maxBytes)).toBe(true);
      if (!saturates(bytes, 33)) expect(bytesEqual(body(encodeRequest(outcome.value)), bytes)).toBe(true);
    });
  });

  it('round-trips every valid request', () => {
    fuzz('blob wire: decodeRequest(encodeRequest(x)) = x', 300, [requestArbitrary], (request) => {
      expect(decodeRequest(body(encodeRequest(request)))).toEqual(request);
    });
  });

  it('rejects mutated requests with WireFormatError or decodes them to a value that re-encodes to them', () => {
    fuzz('blob wire: decodeRequest(mutated request)', 500, [requestArbitrary, mutationsArbitrary], (request, mutations) => {
      const bytes = mutateAll(body(encodeRequest(request)), mutations);
      const outcome = expectDecodeOutcome(() => decodeRequest(bytes), [WireFormatError]);
      if (outcome.ok && !saturates(bytes, 33)) expect(bytesEqual(body(encodeRequest(outcome.value)), bytes)).toBe(true);
    });
  });
});

describe('decodeResponseHeader', () => {
  it('returns a header or throws WireFormatError on arbitrary bodies; what it returns re-encodes to the same bytes unless size saturated', () => {
    fuzz('blob wire: decodeResponseHeader(random body)', 500, [nearSize(RESPONSE_HEADER_BYTES)], (bytes) => {
      const outcome = expectDecodeOutcome(() => decodeResponseHeader(bytes), [WireFormatError]);
      if (outcome.ok && !saturates(bytes, 2)) expect(bytesEqual(body(encodeResponseHeader(outcome.value)), bytes)).toBe(true);
    });
  });

  it('round-trips every valid header', () => {
    fuzz('blob wire: decodeResponseHeader(encodeResponseHeader(x)) = x', 300, [headerArbitrary], (header) => {
      expect(decodeResponseHeader(body(encodeResponseHeader(header)))).toEqual(header);
    });
  });

  it('rejects mutated headers with WireFormatError or decodes them to a value that re-encodes to them', () => {
    fuzz('blob wire: decodeResponseHeader(mutated header)', 500, [headerArbitrary, mutationsArbitrary], (header, mutations) => {
      const bytes = mutateAll(body(encodeResponseHeader(header)), mutations);
      const outcome = expectDecodeOutcome(() => decodeResponseHeader(bytes), [WireFormatError]);
      if (outcome.ok && !saturates(bytes, 2)) expect(bytesEqual(body(encodeResponseHeader(outcome.value)), bytes)).toBe(true);
    });
  });

  it('saturates sizes above 2^53 − 1 (several encodings of one header, as wire.ts documents)', () => {
    const header = new Uint8Array(RESPONSE_HEADER_BYTES);
    header[0] = 1;
    header.fill(0xff, 2);
    expect(decodeResponseHeader(header)).toEqual({ status: 'ok', size: Number.MAX_SAFE_INTEGER });
    expect(bytesEqual(body(encodeResponseHeader({ status: 'ok', size: Number.MAX_SAFE_INTEGER })), header)).toBe(false);
  });
});

type FrameEvent = { readonly kind: 'start'; readonly length: number } | { readonly kind: 'end' };

/** Feeds `pieces` to a FrameDecoder; returns the frames seen (body bytes joined), or the error. */
function decodeFrames(pieces: readonly Uint8Array[]): { events: FrameEvent[]; bodies: Uint8Array[]; error?: unknown; atBoundary: boolean } {
  const events: FrameEvent[] = [];
  const bodies: number[][] = [];
  const decoder = new FrameDecoder({
    start(length) {
      events.push({ kind: 'start', length });
      bodies.push([]);
    },
    data(bytes) {
      expect(bytes.byteLength).toBeGreaterThan(0);
      bodies[bodies.length - 1]?.push(...bytes);
    },
    end() {
      const last = events.findLast((event) => event.kind === 'start');
      expect(last?.kind === 'start' ? last.length : -1).toBe(bodies[bodies.length - 1]?.length);
      events.push({ kind: 'end' });
    },
  });
  const outcome = expectDecodeOutcome(() => {
    for (const piece of pieces) decoder.feed(piece);
  }, [WireFormatError]);
  return { events, bodies: bodies.map((b) => Uint8Array.from(b)), atBoundary: decoder.atBoundary, ...(outcome.ok ? {} : { error: outcome.error }) };
}

/** Splits `bytes` at the given fractions of its length. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.byteLength)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, bytes.byteLength]) {
    pieces.push(bytes.subarray(at, point));
    at = point;
  }
  return pieces;
}

const cutsArbitrary = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 12 });

describe('FrameDecoder', () => {
  it('sees the same frames (or the same WireFormatError) however arbitrary bytes are split into chunks', () => {
    fuzz('blob wire: FrameDecoder(random bytes, random splits)', 500, [randomBytes, cutsArbitrary], (bytes, cuts) => {
      const whole = decodeFrames([bytes]);
      const pieces = decodeFrames(split(bytes, cuts));
      expect(pieces.events).toEqual(whole.events);
      expect(pieces.bodies).toEqual(whole.bodies);
      expect(pieces.error === undefined).toBe(whole.error === undefined);
      if (whole.error === undefined) expect(pieces.atBoundary).toBe(whole.atBoundary);
    });
  });

  it('returns exactly the frames encoded, whatever the chunk splits', () => {
    fuzz('blob wire: FrameDecoder(frames(x), random splits) = x', 300, [fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), cutsArbitrary], (frames, cuts) => {
      const encoded = Uint8Array.from(frames.flatMap((b) => [...frame(b)]));
      const decoded = decodeFrames(split(encoded, cuts));
      expect(decoded.error).toBeUndefined();
      expect(decoded.bodies).toEqual(frames);
      expect(decoded.atBoundary).toBe(true);
    });
  });

  it('refuses length prefixes longer than 4 bytes, and accepts non-minimal ones up to 4 (as wire.ts documents)', () => {
    fuzz('blob wire: FrameDecoder(long prefixes)', 200, [fc.integer({ min: 0, max: 2 ** 28 - 1 }), fc.integer({ min: 1, max: 8 })], (length, prefixBytes) => {
      const minimal = encodeVarint(length);
      // The same length written with `prefixBytes` bytes (when that is at least the minimal form).
      const prefix = new Uint8Array(Math.max(prefixBytes, minimal.byteLength));
      let rest = length;
      for (let i = 0; i < prefix.byteLength; i++) {
        prefix[i] = (rest % 0x80) | (i < prefix.byteLength - 1 ? 0x80 : 0);
        rest = Math.floor(rest / 0x80);
      }
      const decoded = decodeFrames([prefix]);
      if (prefix.byteLength > 4) {
        expect(decoded.error).toBeInstanceOf(WireFormatError);
      } else {
        expect(decoded.error).toBeUndefined();
        expect(decoded.events[0]).toEqual({ kind: 'start', length });
      }
    });
  });
});
