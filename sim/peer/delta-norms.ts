/**
 * The L2 norms of the honest peers' deltas, by round: what a norm-based rule's radius (centered
 * clipping's τ, norm clipping's bound) should be set against. `watch` wraps an honest peer's
 * learner; each delta it trains is decoded once and its norm kept under the round it trains for
 * (the round of the version it goes into). Curator mode only: gossip mode trains models, not deltas.
 */
import { decodeWeights } from '../../node/learn/weights/index.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import { withTrain } from '../attack/honest-deltas.ts';

export class DeltaNorms {
  /** Norms by round, then by peer index (a peer that trains twice in a round keeps its last). */
  readonly #byRound = new Map<number, Map<number, number>>();

  /** Peer `index`'s learner, its deltas' norms recorded. */
  watch(index: number, learner: RuntimeLearner): RuntimeLearner {
    return withTrain(learner, async (base, round, signal) => {
      const trained = await learner.train(base, round, signal);
      const norms = this.#byRound.get(round) ?? new Map<number, number>();
      norms.set(index, l2(decodeWeights(trained.blob).values));
      this.#byRound.set(round, norms);
      return trained;
    });
  }

  /** The median norm of the deltas trained for `round` (NaN if none); forgets that round and earlier ones. */
  take(round: number): number {
    const norms = [...(this.#byRound.get(round)?.values() ?? [])];
    for (const r of this.#byRound.keys()) if (r <= round) this.#byRound.delete(r);
    return median(norms);
  }
}

function l2(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
