/**
 * Blobs for a hostile peer (./hostile-peer.ts) that decode and are only semantically bad: built
 * with the project's own weights encoder and the model's manifest, taken from the task's genesis
 * version blob, so every check of the format passes and only what they hold is wrong.
 */
import { decodeWeights, encodeWeights, type WeightsEncoding, type WeightsManifest } from '../../node/learn/weights/index.ts';
import { ROUND_PREFIX } from '../../node/peer/version-blob.ts';
import { hashBytes } from '../../node/store/blobs.ts';
import type { Hash } from '../../protocols/messages.ts';

/** The model's manifest and starting weights, from the task's genesis version blob. */
export function modelOf(genesis: Uint8Array): { readonly manifest: WeightsManifest; readonly values: Float32Array } {
  return decodeWeights(genesis);
}

/** A version (GFLW f32, the model's manifest) holding `values`. */
export function versionBlob(manifest: WeightsManifest, values: Float32Array): Uint8Array {
  return encodeWeights({ manifest, values }, 'f32');
}

/** The starting weights with every 7th value NaN: decodes as a version of the model. */
export function nanVersion(genesis: Uint8Array): Uint8Array {
  const { manifest, values } = modelOf(genesis);
  const poisoned = values.slice();
  for (let i = 0; i < poisoned.length; i += 7) poisoned[i] = Number.NaN;
  return versionBlob(manifest, poisoned);
}

/** The starting weights followed by a `server-state/0` tensor of shape [3] (PROTOCOL §3.7 wants [N]). */
export function wrongShapeStateVersion(genesis: Uint8Array): Uint8Array {
  const { manifest, values } = modelOf(genesis);
  const tensors = [...manifest.tensors, { name: 'server-state/0', shape: [3], dtype: 'float32' as const }];
  const withState = new Float32Array(values.length + 3);
  withState.set(values);
  withState.set([1, 2, 3], values.length);
  return encodeWeights({ manifest: { tensors }, values: withState }, 'f32');
}

/** The starting weights with one value moved by `index + 1` thousandths: a distinct, valid version per index. */
export function perturbedVersion(genesis: Uint8Array, index: number): Uint8Array {
  const { manifest, values } = modelOf(genesis);
  const moved = values.slice();
  moved[0] = (moved[0] ?? 0) + (index + 1) / 1000;
  return versionBlob(manifest, moved);
}

/**
 * A valid version of round `round` (the round tag renamed): the starting weights with one value
 * moved by `index + 1` thousandths. Everything about it checks out; only its author is wrong.
 */
export function validVersionOfRound(genesis: Uint8Array, round: number, index = 0): Uint8Array {
  const { manifest, values } = modelOf(genesis);
  const tensors = manifest.tensors.map((tensor) => (tensor.name.startsWith(ROUND_PREFIX) ? { ...tensor, name: `${ROUND_PREFIX}${round}` } : tensor));
  const moved = values.slice();
  moved[0] = (moved[0] ?? 0) + (index + 1) / 1000;
  return versionBlob({ tensors }, moved);
}

/**
 * `count` distinct valid versions (the starting weights, one value moved per index): their hashes
 * now, each blob built again only when `make` is called, so a flood costs the attacker no memory.
 */
export function versionFlood(genesis: Uint8Array, count: number): { readonly hash: Hash; readonly make: () => Uint8Array }[] {
  const { manifest, values } = modelOf(genesis);
  const build = (index: number): Uint8Array => {
    const moved = values.slice();
    moved[0] = (moved[0] ?? 0) + (index + 1) / 1000;
    return versionBlob(manifest, moved);
  };
  return Array.from({ length: count }, (_, index) => ({ hash: hashBytes(build(index)), make: () => build(index) }));
}

/** A delta of all zeros in `encoding` with the model's manifest (what an idle trainer would send). */
export function zeroDelta(genesis: Uint8Array, encoding: WeightsEncoding): Uint8Array {
  const { manifest, values } = modelOf(genesis);
  return encodeWeights({ manifest, values: new Float32Array(values.length) }, encoding);
}

/** A hash nobody holds: sha256 of a label. */
export function ghostHash(label: string): Hash {
  return hashBytes(new TextEncoder().encode(`hostile ghost ${label}`));
}
