import { createRequire } from 'node:module';
import { xsalsa20 } from '@noble/ciphers/salsa.js';
import { describe, expect, it } from 'vitest';
import {
  PskStreamExhaustedError,
  XSALSA20_STREAM_LIMIT,
  XSalsa20Stream,
} from '../../node/host/xsalsa20-stream.ts';

/** The WASM XSalsa20 @libp2p/pnet 3.x encrypts with (one instance per direction, `update` per chunk). */
type PnetCipher = { update(input: Uint8Array): Uint8Array; finalize(): void };
const pnetXsalsa20 = createRequire(import.meta.url)('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => PnetCipher;

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const NONCE = Uint8Array.from({ length: 24 }, (_, i) => 255 - i * 3);

/** Deterministic pseudo-random bytes (a plain LCG: test data, not crypto). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** Splits `data` at the given chunk sizes (cycled), the last chunk taking what is left. */
function split(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.byteLength; i++) {
    const size = Math.min(sizes[i % sizes.length]!, data.byteLength - at);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

const ODD_SPLITS: readonly (readonly number[])[] = [
  [63, 1, 65, 127, 129],
  [3, 61, 64, 5, 200, 7, 1000, 13],
  [100_003, 17, 64 * 1024 + 3],
  [650 * 1024 + 1, 100],
];

describe('XSalsa20 stream (one direction of a PSK v1 connection)', () => {
  it('gives, over chunks split off block boundaries, exactly one-shot XSalsa20 of the whole stream', () => {
    const plaintext = bytes(1_500_000, 1);
    const oneShot = xsalsa20(KEY, NONCE, plaintext);
    const byteByByte = new XSalsa20Stream(KEY, NONCE);
    const first = split(plaintext.subarray(0, 3_000), [1]).map((chunk) => byteByByte.process(chunk));
    expect(Buffer.from(concat(first)).equals(Buffer.from(oneShot.subarray(0, 3_000)))).toBe(true);
    for (const sizes of ODD_SPLITS) {
      const stream = new XSalsa20Stream(KEY, NONCE);
      const chunks = split(plaintext, sizes).map((chunk) => stream.process(chunk));
      expect(Buffer.from(concat(chunks)).equals(Buffer.from(oneShot)), `splits ${sizes.join(',')}`).toBe(true);
      expect(stream.position).toBe(plaintext.byteLength);
    }
  });

  it('matches the WASM xsalsa20 @libp2p/pnet runs, chunk by chunk, for the same key and nonce', () => {
    const plaintext = bytes(300_000, 2);
    for (const sizes of [[1], ...ODD_SPLITS]) {
      const ours = new XSalsa20Stream(KEY, NONCE);
      const theirs = pnetXsalsa20(NONCE, KEY);
      const data = sizes.length === 1 ? plaintext.subarray(0, 3_000) : plaintext;
      const pairs = split(data, sizes).map((chunk) => [ours.process(chunk), theirs.update(chunk)] as const);
      theirs.finalize();
      const differing = pairs.findIndex(([a, b]) => !Buffer.from(a).equals(Buffer.from(b)));
      expect(differing, `splits ${sizes.join(',')}`).toBe(-1);
    }
  });

  it('reproduces the published XSalsa20 vectors (Go x/crypto salsa20 tests), as @libp2p/pnet’s xsalsa20 does', () => {
    const key = new TextEncoder().encode('this is 32-byte key for xsalsa20');
    const nonce = new TextEncoder().encode('24-byte nonce for xsalsa');
    const vectors: readonly [Uint8Array, string][] = [
      [new TextEncoder().encode('Hello world!'), '002d4513843fc240c401e541'],
      [
        new Uint8Array(64),
        '4848297feb1fb52fb66d81609bd547fabcbe7026edc8b5e5e449d088bfa69c088f5d8da1d791267c2c195a7f8cae9c4b4050d08ce6d3a151ec265f3a58e47648',
      ],
    ];
    for (const [plaintext, expected] of vectors) {
      const stream = new XSalsa20Stream(key, nonce);
      const ours = concat(split(plaintext, [5, 1, 3]).map((chunk) => stream.process(chunk)));
      expect(Buffer.from(ours).toString('hex')).toBe(expected);
      const reference = pnetXsalsa20(nonce, key);
      expect(Buffer.from(reference.update(plaintext)).toString('hex')).toBe(expected);
      reference.finalize();
    }
  });

  it('reads lists of buffers, skips a prefix, and never modifies its input', () => {
    const plaintext = bytes(5_000, 3);
    const copy = plaintext.slice();
    const parts = split(plaintext, [10, 33, 1, 4_000]);
    const list = { byteLength: plaintext.byteLength, [Symbol.iterator]: () => parts[Symbol.iterator]() };
    const stream = new XSalsa20Stream(KEY, NONCE);
    const output = stream.process(list, 24);
    expect(Buffer.from(output).equals(Buffer.from(xsalsa20(KEY, NONCE, plaintext.subarray(24))))).toBe(true);
    expect(Buffer.from(plaintext).equals(Buffer.from(copy))).toBe(true);
    expect(stream.process(new Uint8Array(0)).byteLength).toBe(0);
  });

  it('starts mid-stream at a given position, and refuses with PskStreamExhaustedError at the keystream limit', () => {
    const plaintext = bytes(1_000, 4);
    const whole = xsalsa20(KEY, NONCE, new Uint8Array(1_100).fill(0));
    const late = new XSalsa20Stream(KEY, NONCE, 100);
    const expected = plaintext.map((byte, i) => byte ^ whole[100 + i]!);
    expect(Buffer.from(late.process(plaintext)).equals(Buffer.from(expected))).toBe(true);

    const nearEnd = new XSalsa20Stream(KEY, NONCE, XSALSA20_STREAM_LIMIT - 100);
    expect(nearEnd.process(new Uint8Array(70)).byteLength).toBe(70);
    let failure: unknown;
    try {
      nearEnd.process(new Uint8Array(31));
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).name).toBe('PskStreamExhaustedError');
    expect(failure).toBeInstanceOf(PskStreamExhaustedError);
    expect(nearEnd.position).toBe(XSALSA20_STREAM_LIMIT - 30);
    expect(nearEnd.process(new Uint8Array(30)).byteLength).toBe(30);
  });

  it('refuses a key or nonce of the wrong length', () => {
    expect(() => new XSalsa20Stream(KEY.subarray(1), NONCE)).toThrow(RangeError);
    expect(() => new XSalsa20Stream(KEY, NONCE.subarray(1))).toThrow(RangeError);
    expect(() => new XSalsa20Stream(KEY, NONCE, -1)).toThrow(RangeError);
  });
});
