/**
 * Weights codec: named tensors <-> flat Float32Array + manifest, content hash, delta arithmetic,
 * and the binary f32 / f16 / int8 wire encodings. Pure TypeScript (node:crypto for SHA-256 only).
 */
export { WeightsCodecError, type WeightsErrorCode } from './errors.ts';
export {
  MAX_DIMENSION,
  MAX_NAME_BYTES,
  MAX_PARAMETERS,
  MAX_RANK,
  assertSameLayout,
  cloneManifest,
  flatten,
  layoutMismatch,
  parameterCount,
  sameLayout,
  tensorOffsets,
  tensorSize,
  unflatten,
  validateFlat,
  validateManifest,
  type FlatWeights,
  type NamedTensor,
  type TensorSpec,
  type WeightsManifest,
} from './flat.ts';
export { decodeManifest, encodeManifest } from './canonical.ts';
export { hashWeights } from './hash.ts';
export { addScaledInto, allFinite, applyDelta, delta, l2Norm, scaleInPlace, subtractInto } from './delta.ts';
export { float16BitsToFloat32, float32ToFloat16Bits, floatsToHalves, halvesToFloats } from './float16.ts';
export { int8Scale } from './int8.ts';
export {
  ENCODINGS,
  HEADER_BYTES,
  WEIGHTS_FORMAT_VERSION,
  WEIGHTS_MAGIC,
  decodeWeights,
  encodeWeights,
  encodedSize,
  isWeightsEncoding,
  type DecodeOptions,
  type WeightsEncoding,
} from './encoding.ts';
