/**
 * The self-describing binary weights format, version 1. All integers little-endian.
 *
 *   offset  size  field
 *   0       4     magic "GFLW" (0x47 0x46 0x4c 0x57)
 *   4       1     format version = 1
 *   5       1     encoding: 1 = f32, 2 = f16, 3 = int8
 *   6       2     reserved, must be 0
 *   8       4     u32 M = byte length of the manifest
 *   12      M     canonical manifest (see canonical.ts; the same bytes that are hashed)
 *   12+M    P     zero padding, P = (4 − (12 + M) mod 4) mod 4, so the payload starts 4-aligned
 *   12+M+P        payload, N = parameter count, T = tensor count:
 *                   f32:  N × float32 (IEEE-754 binary32)
 *                   f16:  N × binary16, rounded to nearest even (see float16.ts)
 *                   int8: T × float32 per-tensor scales (manifest order), then N × int8 in [-127, 127]
 *   nothing after the payload.
 *
 * Error bounds per element (v original, v' decoded):
 *   f32:  exact (bit for bit, NaN payloads included).
 *   f16:  |v' − v| ≤ 2^-11·|v| for 2^-14 ≤ |v| < 65520; |v' − v| ≤ 2^-25 for |v| < 2^-14;
 *         finite |v| ≥ 65520 (which would round to ±Infinity) is refused with 'not-encodable';
 *         ±Infinity and NaN are kept as such.
 *   int8: |v' − v| ≤ scale·(1/2 + 2^-17), scale = the tensor's maxAbs/127 rounded up to float32
 *         (see int8.ts), i.e. ≈ maxAbs/254; a tensor holding NaN or ±Infinity is refused with 'not-encodable'.
 */
import { decodeManifest, encodeManifest } from './canonical.ts';
import { IS_LITTLE_ENDIAN, WeightsCodecError, float32LeBytes } from './errors.ts';
import { assertSameLayout, tensorOffsets, validateFlat, validateManifest, type FlatWeights, type WeightsManifest } from './flat.ts';
import { floatsToHalves, halvesToFloats } from './float16.ts';
import { dequantizeInt8, MAX_INT8_ENCODABLE, quantizeInt8 } from './int8.ts';

export type WeightsEncoding = 'f32' | 'f16' | 'int8';

/** Every supported encoding, most precise first. */
export const ENCODINGS: readonly WeightsEncoding[] = ['f32', 'f16', 'int8'];

/** Narrows a string (e.g. a CLI flag) to a WeightsEncoding. */
export function isWeightsEncoding(value: string): value is WeightsEncoding {
  return (ENCODINGS as readonly string[]).includes(value);
}

export const WEIGHTS_MAGIC = new Uint8Array([0x47, 0x46, 0x4c, 0x57]); // "GFLW"
export const WEIGHTS_FORMAT_VERSION = 1;
export const HEADER_BYTES = 12;
const ENCODING_IDS: Record<WeightsEncoding, number> = { f32: 1, f16: 2, int8: 3 };
const ENCODINGS_BY_ID: readonly (WeightsEncoding | undefined)[] = [undefined, 'f32', 'f16', 'int8'];

export interface DecodeOptions {
  /** Reject inputs longer than this many bytes before looking at them. */
  maxBytes?: number;
}

function fail(code: ConstructorParameters<typeof WeightsCodecError>[0], message: string): never {
  throw new WeightsCodecError(code, message);
}

function encodingId(encoding: WeightsEncoding): number {
  const id = Object.hasOwn(ENCODING_IDS, encoding) ? ENCODING_IDS[encoding] : undefined;
  if (id === undefined) fail('unknown-encoding', `unknown weights encoding '${String(encoding)}': use 'f32', 'f16' or 'int8'`);
  return id;
}

/** Where each part of an encoding lives, derived from the manifest length and the parameter/tensor counts. */
function layout(manifestBytes: number, params: number, tensors: number, encoding: WeightsEncoding) {
  const payloadStart = (HEADER_BYTES + manifestBytes + 3) & ~3;
  const bytesPerValue = encoding === 'f32' ? 4 : encoding === 'f16' ? 2 : 1;
  const scalesBytes = encoding === 'int8' ? 4 * tensors : 0;
  return { payloadStart, scalesBytes, total: payloadStart + scalesBytes + bytesPerValue * params };
}

/** Exact byte length `encodeWeights` will produce for this manifest and encoding. */
export function encodedSize(manifest: WeightsManifest, encoding: WeightsEncoding): number {
  encodingId(encoding);
  const params = validateManifest(manifest);
  return layout(encodeManifest(manifest).length, params, manifest.tensors.length, encoding).total;
}

/** Encodes flat weights in the binary format above. */
export function encodeWeights(flat: FlatWeights, encoding: WeightsEncoding): Uint8Array {
  const id = encodingId(encoding);
  validateFlat(flat);
  const { manifest, values } = flat;
  const manifestBytes = encodeManifest(manifest);
  const { payloadStart, scalesBytes, total } = layout(manifestBytes.length, values.length, manifest.tensors.length, encoding);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(WEIGHTS_MAGIC, 0);
  out[4] = WEIGHTS_FORMAT_VERSION;
  out[5] = id;
  view.setUint32(8, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  const offsets = tensorOffsets(manifest);
  const tensorAt = (i: number) => [offsets[i] as number, offsets[i + 1] as number] as const;
  const nameOf = (i: number) => manifest.tensors[i]?.name ?? '?';
  switch (encoding) {
    case 'f32':
      out.set(float32LeBytes(values), payloadStart);
      break;
    case 'f16': {
      const halves = IS_LITTLE_ENDIAN ? new Uint16Array(out.buffer, payloadStart, values.length) : new Uint16Array(values.length);
      for (let t = 0; t < manifest.tensors.length; t++) {
        const [start, end] = tensorAt(t);
        const over = floatsToHalves(values.subarray(start, end), halves.subarray(start, end));
        if (over >= 0) {
          fail('not-encodable', `tensor '${nameOf(t)}' element ${over} = ${values[start + over]} is outside the float16 range ` +
            `(|v| ≥ 65520 would become Infinity); use the 'f32' encoding or rescale the weights`);
        }
      }
      if (!IS_LITTLE_ENDIAN) halves.forEach((h, i) => view.setUint16(payloadStart + 2 * i, h, true));
      break;
    }
    case 'int8': {
      const q = new Int8Array(out.buffer, payloadStart + scalesBytes, values.length);
      for (let t = 0; t < manifest.tensors.length; t++) {
        const [start, end] = tensorAt(t);
        const scale = quantizeInt8(values.subarray(start, end), q.subarray(start, end));
        if (typeof scale !== 'number') {
          if ('nonFinite' in scale) {
            fail('not-encodable', `tensor '${nameOf(t)}' element ${scale.nonFinite} is ${values[start + scale.nonFinite]}: ` +
              `int8 cannot encode non-finite values; use 'f32' or 'f16'`);
          }
          fail('not-encodable', `tensor '${nameOf(t)}' element ${scale.tooLarge} is ${values[start + scale.tooLarge]}: ` +
            `int8 cannot encode values beyond ±${MAX_INT8_ENCODABLE} (they would decode as ±Infinity); use 'f32'`);
        }
        view.setFloat32(payloadStart + 4 * t, scale, true);
      }
      break;
    }
    default: {
      const _: never = encoding;
      return _;
    }
  }
  return out;
}

/**
 * Decodes bytes produced by `encodeWeights`. With `expected`, the decoded manifest must equal it.
 * The result owns its values (never a view into `bytes`). Every length is checked against the
 * input before anything proportional to it is allocated.
 */
export function decodeWeights(bytes: Uint8Array, expected?: WeightsManifest, options: DecodeOptions = {}): FlatWeights {
  if (!(bytes instanceof Uint8Array)) fail('malformed', 'decodeWeights expects a Uint8Array');
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0, got ${maxBytes}`);
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    fail('too-large', `encoded weights are ${bytes.length} bytes, more than the limit of ${maxBytes}`);
  }
  for (let i = 0; i < Math.min(4, bytes.length); i++) {
    if (bytes[i] !== WEIGHTS_MAGIC[i]) fail('bad-magic', 'not encoded weights: the input does not start with "GFLW"');
  }
  if (bytes.length < HEADER_BYTES) fail('truncated', `encoded weights truncated: ${bytes.length} bytes, the header alone is ${HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[4] as number;
  if (version !== WEIGHTS_FORMAT_VERSION) {
    fail('unsupported-version', `weights format version ${version} is not supported (this peer reads version ${WEIGHTS_FORMAT_VERSION}); upgrade the peer`);
  }
  const encoding = ENCODINGS_BY_ID[bytes[5] as number];
  if (encoding === undefined) fail('unknown-encoding', `unknown weights encoding id ${bytes[5]}`);
  if (bytes[6] !== 0 || bytes[7] !== 0) fail('malformed', 'reserved header bytes 6-7 must be zero');
  const manifestLength = view.getUint32(8, true);
  if (manifestLength > bytes.length - HEADER_BYTES) {
    fail('truncated', `encoded weights truncated: the manifest needs ${manifestLength} bytes, only ${bytes.length - HEADER_BYTES} follow the header`);
  }
  const manifest = decodeManifest(bytes.subarray(HEADER_BYTES, HEADER_BYTES + manifestLength));
  if (expected !== undefined) {
    validateManifest(expected);
    assertSameLayout(manifest, expected, 'decoded weights do not have the expected layout', 'the encoding', 'the expected manifest');
  }
  const params = validateManifest(manifest);
  const { payloadStart, scalesBytes, total } = layout(manifestLength, params, manifest.tensors.length, encoding);
  if (bytes.length < total) {
    fail('truncated', `encoded weights truncated: ${bytes.length} bytes, but the manifest (${params} parameters, ${encoding}) needs ${total}`);
  }
  if (bytes.length > total) fail('trailing-bytes', `${bytes.length - total} unexpected bytes after the ${encoding} payload`);
  for (let i = HEADER_BYTES + manifestLength; i < payloadStart; i++) {
    if (bytes[i] !== 0) fail('malformed', `padding byte ${i} before the payload must be zero`);
  }
  const values = new Float32Array(params);
  const payload = bytes.subarray(payloadStart);
  switch (encoding) {
    case 'f32':
      if (IS_LITTLE_ENDIAN) new Uint8Array(values.buffer).set(payload);
      else for (let i = 0; i < params; i++) values[i] = view.getFloat32(payloadStart + 4 * i, true);
      break;
    case 'f16': {
      // A Uint16Array view needs an even byte offset; copy the payload when the input is misaligned.
      const aligned = (payload.byteOffset & 1) === 0 ? payload : payload.slice();
      const halves = IS_LITTLE_ENDIAN
        ? new Uint16Array(aligned.buffer, aligned.byteOffset, params)
        : Uint16Array.from({ length: params }, (_, i) => view.getUint16(payloadStart + 2 * i, true));
      halvesToFloats(halves, values);
      break;
    }
    case 'int8': {
      const offsets = tensorOffsets(manifest);
      const q = new Int8Array(payload.buffer, payload.byteOffset + scalesBytes, params);
      manifest.tensors.forEach((spec, t) => {
        const scale = view.getFloat32(payloadStart + 4 * t, true);
        if (!(scale >= 0 && scale < Infinity) || Object.is(scale, -0)) {
          fail('malformed', `tensor '${spec.name}': int8 scale ${scale} is not a finite non-negative number`);
        }
        const [start, end] = [offsets[t] as number, offsets[t + 1] as number];
        const bad = dequantizeInt8(q.subarray(start, end), scale, values.subarray(start, end));
        if (bad >= 0) fail('malformed', `tensor '${spec.name}' element ${bad}: int8 value -128 is outside [-127, 127]`);
      });
      break;
    }
    default: {
      const _: never = encoding;
      return _;
    }
  }
  return { manifest, values };
}
