/**
 * The canonical byte encoding of a WeightsManifest (version 1). It is used both inside the
 * binary weights format and as the first part of the content hash, so it must never change
 * without a new format version.
 *
 * All integers little-endian:
 *
 *   u32  tensorCount
 *   then for each tensor, in manifest order:
 *     u16  nameLength            UTF-8 byte length of the name, 1..65535
 *     u8[nameLength]  name       UTF-8, well-formed, no normalisation, no BOM handling
 *     u8   dtype                 1 = float32 (the only dtype)
 *     u8   rank                  0..255
 *     u32[rank]  shape           dimensions, outermost first
 *
 * Nothing else: no padding, no key names, so JavaScript object key order cannot matter.
 * Exactly one byte string encodes a given manifest, and the decoder accepts only that one.
 */
import { WeightsCodecError } from './errors.ts';
import { MAX_RANK, validateManifest, type TensorSpec, type WeightsManifest } from './flat.ts';

export const DTYPE_FLOAT32 = 1;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Canonical bytes of a manifest (validates it first). */
export function encodeManifest(manifest: WeightsManifest): Uint8Array {
  validateManifest(manifest);
  const names = manifest.tensors.map((t) => utf8.encode(t.name));
  let size = 4;
  manifest.tensors.forEach((t, i) => {
    size += 2 + (names[i] as Uint8Array).length + 2 + 4 * t.shape.length;
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, manifest.tensors.length, true);
  let at = 4;
  manifest.tensors.forEach((t, i) => {
    const name = names[i] as Uint8Array;
    view.setUint16(at, name.length, true);
    out.set(name, at + 2);
    at += 2 + name.length;
    out[at] = DTYPE_FLOAT32;
    out[at + 1] = t.shape.length;
    at += 2;
    for (const dim of t.shape) {
      view.setUint32(at, dim, true);
      at += 4;
    }
  });
  return out;
}

function malformed(message: string): WeightsCodecError {
  return new WeightsCodecError('malformed', `malformed weights manifest: ${message}`);
}

/**
 * Parses canonical manifest bytes; every length is checked against the bytes actually present
 * before anything is allocated. Throws WeightsCodecError('malformed') naming the problem.
 */
export function decodeManifest(bytes: Uint8Array): WeightsManifest {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw malformed(`${bytes.length} bytes is too short for the tensor count`);
  const count = view.getUint32(0, true);
  // Each tensor takes at least 5 bytes (length, one name byte, dtype, rank).
  if (count > (bytes.length - 4) / 5) {
    throw malformed(`claims ${count} tensors but has only ${bytes.length} bytes`);
  }
  const tensors: TensorSpec[] = [];
  let at = 4;
  const need = (n: number, what: string): void => {
    if (at + n > bytes.length) throw malformed(`tensor #${tensors.length}: ${what} runs past the end at byte ${at}`);
  };
  for (let i = 0; i < count; i++) {
    need(2, 'name length');
    const nameLength = view.getUint16(at, true);
    at += 2;
    if (nameLength === 0) throw malformed(`tensor #${i} has an empty name`);
    need(nameLength, 'name');
    let name: string;
    try {
      name = utf8Strict.decode(bytes.subarray(at, at + nameLength));
    } catch {
      throw malformed(`tensor #${i}: name is not valid UTF-8`);
    }
    at += nameLength;
    need(2, 'dtype and rank');
    const dtype = bytes[at] as number;
    const rank = bytes[at + 1] as number;
    at += 2;
    if (dtype !== DTYPE_FLOAT32) throw malformed(`tensor '${name}': unknown dtype code ${dtype}`);
    if (rank > MAX_RANK) throw malformed(`tensor '${name}': rank ${rank} too large`);
    need(4 * rank, 'shape');
    const shape = new Array<number>(rank);
    for (let k = 0; k < rank; k++) shape[k] = view.getUint32(at + 4 * k, true);
    at += 4 * rank;
    tensors.push({ name, shape, dtype: 'float32' });
  }
  if (at !== bytes.length) throw malformed(`${bytes.length - at} unused bytes after the last tensor`);
  const manifest: WeightsManifest = { tensors };
  try {
    validateManifest(manifest);
  } catch (error) {
    if (error instanceof WeightsCodecError) throw malformed(error.message);
    throw error;
  }
  return manifest;
}
