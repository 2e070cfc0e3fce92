import type { MergeLeaf } from './strategy.ts';

/**
 * The sample-weighted average of same-round versions (PROTOCOL §7.9), weights and every state
 * tensor alike: Σ_i (s_i/S)·x_i in float64, leaves in the order given, rounded once; a leaf
 * lacking a state tensor counts as zeros; as many state tensors as the leaf with most.
 */
export function averageVersions(leaves: readonly MergeLeaf[]): { weights: Float32Array; state: Float32Array[] } {
  const total = leaves.reduce((sum, leaf) => sum + leaf.samples, 0);
  const length = leaves[0]?.weights.length ?? 0;
  const average = (pick: (leaf: MergeLeaf) => Float32Array | undefined): Float32Array => {
    const sum = new Float64Array(length);
    for (const leaf of leaves) {
      const values = pick(leaf) ?? new Float32Array(length);
      const weight = leaf.samples / total;
      for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + weight * (values[i] as number);
    }
    return Float32Array.from(sum);
  };
  const stateCount = Math.max(...leaves.map((leaf) => leaf.state.length));
  return { weights: average((leaf) => leaf.weights), state: Array.from({ length: stateCount }, (_, i) => average((leaf) => leaf.state[i])) };
}
