/**
 * Update evaluation before averaging (issue 12, item 3; PROTOCOL §7.8): the curator measures each
 * valid delta on its own validation rows — the loss of base + delta — and leaves out those whose
 * loss exceeds the median of all of them by more than the task's margin. A local, optional
 * filter: it needs the curator's private rows, so nobody can recompute it; the version lists
 * only the deltas it kept, and is recomputable from those.
 *
 * Weak under label skew: a member whose labels differ from the curator's (non-IID data) makes a
 * delta that raises the loss on the curator's rows while being honest, and is left out.
 */
import { medianOfSorted } from './median.ts';

export interface ScoredUpdate {
  readonly from: string;
  /** Validation loss of base + delta on the curator's rows. */
  readonly loss: number;
}

export interface Screening {
  readonly kept: readonly string[];
  readonly dropped: readonly { readonly from: string; readonly reason: string }[];
}

/** Fewest scored deltas for which a median means anything: with 2, neither can be called the outlier. */
export const MIN_SCREENED = 3;

/** Keeps the deltas whose loss is at most median + margin (all of them when fewer than MIN_SCREENED). */
export function screenByLoss(scored: readonly ScoredUpdate[], margin: number): Screening {
  if (scored.length < MIN_SCREENED) return { kept: scored.map((s) => s.from), dropped: [] };
  const median = medianOfSorted(Float64Array.from(scored, (s) => s.loss).sort());
  const kept: string[] = [];
  const dropped: { from: string; reason: string }[] = [];
  for (const { from, loss } of scored) {
    // A NaN loss (a delta that breaks the model) is dropped too: it is not ≤ anything.
    if (loss <= median + margin) kept.push(from);
    else dropped.push({ from, reason: `update evaluation: validation loss ${loss.toPrecision(4)} exceeds the median ${median.toPrecision(4)} by more than ${margin}` });
  }
  return { kept, dropped };
}
