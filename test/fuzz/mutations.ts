/**
 * Byte mutations of valid encodings: bit flips, byte overwrites, truncation, extension,
 * deletion, insertion, duplication and splices. Positions are fractions of the current
 * length so one mutation applies to any input.
 */
import fc from 'fast-check';

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'extend'; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'splice'; readonly from: number; readonly to: number; readonly length: number };

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), from: position, to: position, length: fc.integer({ min: 1, max: 32 }) }) },
);

/** One to four mutations. */
export const mutationsArbitrary = fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 });

function index(fraction: number, length: number): number {
  return Math.min(length, Math.floor(fraction * length));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

export function mutate(input: Uint8Array, mutation: Mutation): Uint8Array {
  const n = input.byteLength;
  switch (mutation.kind) {
    case 'flip': {
      if (n === 0) return input;
      const out = input.slice();
      const at = index(mutation.at, n - 1);
      out[at] = (out[at] as number) ^ (1 << mutation.bit);
      return out;
    }
    case 'set': {
      if (n === 0) return input;
      const out = input.slice();
      out[index(mutation.at, n - 1)] = mutation.value;
      return out;
    }
    case 'truncate':
      return input.slice(0, index(mutation.at, n));
    case 'extend':
      return concat(input, mutation.bytes);
    case 'delete': {
      const at = index(mutation.at, n);
      return concat(input.subarray(0, at), input.subarray(at + mutation.length));
    }
    case 'insert': {
      const at = index(mutation.at, n);
      return concat(input.subarray(0, at), mutation.bytes, input.subarray(at));
    }
    case 'duplicate': {
      const at = index(mutation.at, n);
      const piece = input.subarray(at, at + mutation.length);
      return concat(input.subarray(0, at), piece, input.subarray(at));
    }
    case 'splice': {
      // Copy a piece of the input over another place of it (a field moved onto another).
      const from = index(mutation.from, n);
      const to = index(mutation.to, n);
      const piece = input.slice(from, from + mutation.length);
      const out = input.slice();
      out.set(piece.subarray(0, Math.max(0, n - to)), to);
      return out;
    }
    default: {
      const unknown: never = mutation;
      throw new Error(`unknown mutation ${JSON.stringify(unknown)}`);
    }
  }
}

export function mutateAll(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  return mutations.reduce(mutate, input);
}

/** Random bytes: mostly short, sometimes a few KiB. */
export const randomBytes = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
);

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
