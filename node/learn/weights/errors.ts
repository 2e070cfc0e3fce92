import { GossipflError } from '../../errors.ts';

/** What went wrong, machine-readable; the message says it for humans. */
export type WeightsErrorCode =
  | 'invalid-weights' // a tensor list, manifest or flat array is not well-formed
  | 'layout-mismatch' // two weight sets (or a decoded set and the expected manifest) differ in layout
  | 'not-encodable' // the values cannot be represented in the requested encoding
  | 'bad-magic'
  | 'unsupported-version'
  | 'unknown-encoding'
  | 'truncated'
  | 'trailing-bytes'
  | 'malformed'
  | 'too-large';

/** The one error class thrown by `node/learn/weights`. */
export class WeightsCodecError extends GossipflError {
  override name = 'WeightsCodecError';
  readonly code: WeightsErrorCode;

  constructor(code: WeightsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** True on every platform Node runs on today; the big-endian paths exist for completeness. */
export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The little-endian IEEE-754 bytes of `values`: a view (no copy) on little-endian hosts,
 * a byte-swapped copy elsewhere.
 */
export function float32LeBytes(values: Float32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length); // keeps NaN payloads
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i] as number, true);
  return out;
}
