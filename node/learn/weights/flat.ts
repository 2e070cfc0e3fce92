/**
 * Named tensors <-> one flat Float32Array plus a manifest describing the layout.
 *
 * Tensors are laid out back to back in manifest order, each in row-major order.
 */
import { WeightsCodecError } from './errors.ts';

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface WeightsManifest {
  tensors: TensorSpec[];
}

export interface FlatWeights {
  manifest: WeightsManifest;
  values: Float32Array;
}

export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Largest dimension the canonical manifest encoding can carry (u32). */
export const MAX_DIMENSION = 0xffff_ffff;
/** Largest rank the canonical manifest encoding can carry (u8). */
export const MAX_RANK = 255;
/** Largest UTF-8 byte length of a tensor name (u16). */
export const MAX_NAME_BYTES = 0xffff;
/** Upper bound on the total number of parameters: keeps every byte count an exact integer. */
export const MAX_PARAMETERS = Math.floor(Number.MAX_SAFE_INTEGER / 8);

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });

function invalid(message: string): WeightsCodecError {
  return new WeightsCodecError('invalid-weights', message);
}

/** Number of elements of a shape; throws if a dimension is invalid or the product exceeds MAX_PARAMETERS. */
export function tensorSize(shape: readonly number[], what = 'tensor'): number {
  if (!Array.isArray(shape)) throw invalid(`${what}: shape must be an array of integers`);
  if (shape.length > MAX_RANK) throw invalid(`${what}: rank ${shape.length} exceeds the maximum ${MAX_RANK}`);
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0 || dim > MAX_DIMENSION) {
      throw invalid(`${what}: shape[${i}] = ${String(dim)} is not an integer in [0, ${MAX_DIMENSION}]`);
    }
  }
  if (shape.includes(0)) return 0;
  let size = 1;
  for (const dim of shape) {
    size *= dim;
    if (size > MAX_PARAMETERS) throw invalid(`${what}: shape [${shape.join(', ')}] has more than ${MAX_PARAMETERS} elements`);
  }
  return size;
}

/** Throws WeightsCodecError('invalid-weights') unless the manifest is well-formed; returns its parameter count. */
export function validateManifest(manifest: WeightsManifest): number {
  if (manifest === null || typeof manifest !== 'object' || !Array.isArray(manifest.tensors)) {
    throw invalid('manifest must be an object with a `tensors` array');
  }
  const seen = new Set<string>();
  let total = 0;
  manifest.tensors.forEach((spec, i) => {
    if (spec === null || typeof spec !== 'object') throw invalid(`tensor #${i} is not an object`);
    const { name } = spec;
    if (typeof name !== 'string' || name.length === 0) throw invalid(`tensor #${i}: name must be a non-empty string`);
    const bytes = utf8.encode(name);
    if (utf8Lenient.decode(bytes) !== name) throw invalid(`tensor #${i}: name contains an unpaired surrogate`);
    if (bytes.length > MAX_NAME_BYTES) throw invalid(`tensor '${name}': name is longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
    if (seen.has(name)) throw invalid(`tensor name '${name}' appears more than once`);
    seen.add(name);
    if (spec.dtype !== 'float32') throw invalid(`tensor '${name}': dtype ${String(spec.dtype)} is not 'float32'`);
    total += tensorSize(spec.shape, `tensor '${name}'`);
    if (total > MAX_PARAMETERS) throw invalid(`manifest has more than ${MAX_PARAMETERS} parameters`);
  });
  return total;
}

/** Total number of float32 values the manifest describes (validates it). */
export function parameterCount(manifest: WeightsManifest): number {
  return validateManifest(manifest);
}

/** Throws unless `flat.values.length` matches a well-formed manifest. */
export function validateFlat(flat: FlatWeights): void {
  if (flat === null || typeof flat !== 'object' || !(flat.values instanceof Float32Array)) {
    throw invalid('flat weights must have a Float32Array `values`');
  }
  const count = validateManifest(flat.manifest);
  if (flat.values.length !== count) {
    throw invalid(`manifest describes ${count} parameters but values has ${flat.values.length}`);
  }
}

/** Start offset of every tensor in the flat array, plus the total as the last entry. */
export function tensorOffsets(manifest: WeightsManifest): number[] {
  const offsets = [0];
  let at = 0;
  for (const spec of manifest.tensors) {
    at += tensorSize(spec.shape, `tensor '${spec.name}'`);
    offsets.push(at);
  }
  return offsets;
}

/**
 * Describes the first difference between two layouts, or returns undefined if they are equal
 * (same tensor count, and per tensor the same name, dtype and shape, in the same order).
 * `labelA` / `labelB` name the two sides in the message (e.g. 'weights' and 'base').
 */
export function layoutMismatch(
  a: WeightsManifest,
  b: WeightsManifest,
  labelA = 'first',
  labelB = 'second',
): string | undefined {
  const n = Math.min(a.tensors.length, b.tensors.length);
  for (let i = 0; i < n; i++) {
    const x = a.tensors[i] as TensorSpec;
    const y = b.tensors[i] as TensorSpec;
    if (x.name !== y.name) return `tensor #${i} is named '${x.name}' in ${labelA} but '${y.name}' in ${labelB}`;
    if (x.dtype !== y.dtype) return `tensor '${x.name}' has dtype ${x.dtype} in ${labelA} but ${y.dtype} in ${labelB}`;
    if (x.shape.length !== y.shape.length || x.shape.some((d, k) => d !== y.shape[k])) {
      return `tensor '${x.name}' has shape [${x.shape.join(', ')}] in ${labelA} but [${y.shape.join(', ')}] in ${labelB}`;
    }
  }
  if (a.tensors.length !== b.tensors.length) {
    const [longer, label] = a.tensors.length > b.tensors.length ? [a, labelA] : [b, labelB];
    const extra = longer.tensors[n] as TensorSpec;
    return `${labelA} has ${a.tensors.length} tensors but ${labelB} has ${b.tensors.length}; '${extra.name}' is only in ${label}`;
  }
  return undefined;
}

/** Manifest equality: same tensors (name, shape, dtype) in the same order. */
export function sameLayout(a: WeightsManifest, b: WeightsManifest): boolean {
  return layoutMismatch(a, b) === undefined;
}

/** Throws WeightsCodecError('layout-mismatch') naming the first difference, prefixed by `context`. */
export function assertSameLayout(
  a: WeightsManifest,
  b: WeightsManifest,
  context: string,
  labelA?: string,
  labelB?: string,
): void {
  const mismatch = layoutMismatch(a, b, labelA, labelB);
  if (mismatch !== undefined) throw new WeightsCodecError('layout-mismatch', `${context}: ${mismatch}`);
}

/** A deep copy of a manifest with only the known fields, in canonical key order. */
export function cloneManifest(manifest: WeightsManifest): WeightsManifest {
  return {
    tensors: manifest.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' as const })),
  };
}

/** Concatenates named tensors (in the given order) into one Float32Array; copies the values. */
export function flatten(named: readonly NamedTensor[]): FlatWeights {
  if (!Array.isArray(named)) throw invalid('flatten expects an array of {name, shape, values}');
  const manifest: WeightsManifest = {
    tensors: named.map((t, i) => {
      if (t === null || typeof t !== 'object') throw invalid(`tensor #${i} is not an object`);
      if (!Array.isArray(t.shape)) throw invalid(`tensor '${String(t.name)}': shape must be an array of integers`);
      return { name: t.name, shape: [...t.shape], dtype: 'float32' as const };
    }),
  };
  const total = validateManifest(manifest);
  const values = new Float32Array(total);
  let at = 0;
  named.forEach((t, i) => {
    const spec = manifest.tensors[i] as TensorSpec;
    const size = tensorSize(spec.shape);
    if (!(t.values instanceof Float32Array)) throw invalid(`tensor '${spec.name}': values must be a Float32Array`);
    if (t.values.length !== size) {
      throw invalid(
        `tensor '${spec.name}': shape [${spec.shape.join(', ')}] has ${size} elements but values has ${t.values.length}`,
      );
    }
    values.set(t.values, at);
    at += size;
  });
  return { manifest, values };
}

/** Splits flat weights back into named tensors; `values` are subarray views into `flat.values` (no copy). */
export function unflatten(flat: FlatWeights): NamedTensor[] {
  validateFlat(flat);
  const offsets = tensorOffsets(flat.manifest);
  return flat.manifest.tensors.map((spec, i) => ({
    name: spec.name,
    shape: [...spec.shape],
    values: flat.values.subarray(offsets[i] as number, offsets[i + 1] as number),
  }));
}
