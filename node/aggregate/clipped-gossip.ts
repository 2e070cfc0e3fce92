/**
 * Self-centred clipped gossip (He, Karimireddy & Jaggi 2022, "Byzantine-robust decentralized
 * learning via ClippedGossip"): a gossip-mode peer's merge rule when the task sets
 * `gossip.clipRadius` τ. The centre is the peer's own model x_0; each pulled model x_j moves it
 * by at most W·τ, however far away it is:
 *
 *   x' = x_0 + Σ_{j ≥ 1} W·clip(x_j − x_0, τ),   clip(z, τ) = z·min(1, τ/‖z‖₂),   W = 1/n
 *
 * over the n leaves (own model first, then the pulled ones in draw order). W is uniform, not the
 * age weights of the plain gossip merge: a model's age is what its sender announces, so an
 * attacker claiming a huge age would get W ≈ 1 and move the peer by a whole τ each cycle (and
 * drown its honest neighbours). With τ → ∞ the rule is the uniform average of the leaves.
 *
 * Arithmetic (PROTOCOL §7b): float64 throughout, elements in index order, leaves in the order
 * given, one rounding to float32 per element, so that any peer recomputes a merge bit for bit.
 */
import { clipFactor } from './centered-clipping.ts';
import { AggregationError, type MergeLeaf } from './strategy.ts';
import { squaredDistance } from './vectors.ts';

/** One neighbour's share of the move: its mixing weight W and the factor min(1, τ/r) its offset was clipped by. */
export interface ClippedNeighbour {
  /** ‖x_j − x_0‖₂ (float64). */
  readonly distance: number;
  /** W·min(1, τ/distance): the coefficient of x_j − x_0 in the move. */
  readonly coefficient: number;
}

/**
 * The merged weights x' of `leaves` (leaves[0] is the peer's own model, the centre) with clipping
 * radius `clipRadius` τ > 0, and each neighbour's distance and coefficient (leaves 1 … n−1).
 * Leaves' state tensors are not carried: gossip-mode models have none.
 */
export function clippedGossipMerge(leaves: readonly Pick<MergeLeaf, 'weights'>[], clipRadius: number): { weights: Float32Array; neighbours: ClippedNeighbour[] } {
  if (!(clipRadius > 0)) throw new AggregationError(`the gossip clipping radius must be a positive number, got ${clipRadius}`);
  const own = leaves[0]?.weights;
  if (own === undefined) throw new AggregationError('nothing to merge: no leaves');
  const length = own.length;
  for (const leaf of leaves) {
    if (leaf.weights.length !== length) throw new AggregationError(`a merged model has ${leaf.weights.length} values, the own model ${length}`);
  }
  const share = 1 / leaves.length;
  const neighbours = leaves.slice(1).map((leaf) => {
    const distance = Math.sqrt(squaredDistance(leaf.weights, own));
    return { distance, coefficient: share * clipFactor(clipRadius, distance) };
  });
  const move = new Float64Array(length);
  neighbours.forEach(({ coefficient }, j) => {
    const theirs = (leaves[j + 1] as Pick<MergeLeaf, 'weights'>).weights;
    for (let k = 0; k < length; k++) move[k] = (move[k] as number) + coefficient * ((theirs[k] as number) - (own[k] as number));
  });
  const weights = new Float32Array(length);
  for (let k = 0; k < length; k++) weights[k] = (own[k] as number) + (move[k] as number);
  return { weights, neighbours };
}
