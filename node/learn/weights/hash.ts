import { createHash } from 'node:crypto';
import { encodeManifest } from './canonical.ts';
import { float32LeBytes } from './errors.ts';
import { validateFlat, type FlatWeights } from './flat.ts';

/**
 * Content hash of a set of weights: lowercase hex SHA-256 over
 *
 *   canonicalManifest(flat.manifest) ‖ float32LE(flat.values)
 *
 * where canonicalManifest is the byte encoding documented in `canonical.ts` (u32 LE tensor count,
 * then per tensor: u16 LE UTF-8 name length, name bytes, u8 dtype = 1, u8 rank, rank × u32 LE dims),
 * and float32LE is every value's 4 IEEE-754 bytes, little-endian, in flat order (all tensors
 * back to back, row-major). No separators, no prefix. Values are hashed bit-for-bit: 0 and -0
 * differ, and so do NaNs with different payloads.
 *
 * Example: one tensor "w" of shape [2] with values [1, -2] hashes these 21 bytes
 *   01 00 00 00 | 01 00 | 77 | 01 | 01 | 02 00 00 00 | 00 00 80 3f | 00 00 00 c0
 * giving a59d3813702ef61ac8e21b8734376add82cb4424f7ae3eba221ea5e5865eddb0.
 */
export function hashWeights(flat: FlatWeights): string {
  validateFlat(flat);
  return createHash('sha256').update(encodeManifest(flat.manifest)).update(float32LeBytes(flat.values)).digest('hex');
}
