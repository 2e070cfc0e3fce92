/**
 * Plain-TypeScript arithmetic the robust rules share, each with one fixed order of operations
 * (docs/PROTOCOL.md §7.8) so that any peer recomputes a version bit for bit: float64 throughout,
 * elements in index order, contributions in sender order.
 */
import { checkContributions, type Contribution } from './strategy.ts';

/** Code-unit order of sender ids, the order every rule takes contributions in. */
export function bySender(a: { readonly from: string }, b: { readonly from: string }): number {
  return a.from < b.from ? -1 : a.from > b.from ? 1 : 0;
}

/** The contributions checked (checkContributions) and sorted by sender id. */
export function inSenderOrder(base: Float32Array, contributions: readonly Contribution[]): Contribution[] {
  checkContributions(base, contributions);
  return [...contributions].sort(bySender);
}

/** Σ_k (a[k] − b[k])², in float64, k ascending; `b` absent means zeros. */
export function squaredDistance(a: Float32Array | Float64Array, b?: Float32Array | Float64Array): number {
  let sum = 0;
  if (b === undefined) {
    for (let k = 0; k < a.length; k++) sum += (a[k] as number) * (a[k] as number);
  } else {
    for (let k = 0; k < a.length; k++) {
      const d = (a[k] as number) - (b[k] as number);
      sum += d * d;
    }
  }
  return sum;
}

/** float32(base[k] + update[k]) for every k: the one rounding of a rule's result. */
export function applyUpdate(base: Float32Array, update: Float64Array): Float32Array {
  const next = new Float32Array(base.length);
  for (let k = 0; k < base.length; k++) next[k] = (base[k] as number) + (update[k] as number);
  return next;
}

/** Σ_i c_i·x_i (float64, terms in the order given, starting from 0) for every element. */
export function linearCombination(terms: readonly { readonly values: Float32Array | Float64Array; readonly coefficient: number }[], length: number): Float64Array {
  const sum = new Float64Array(length);
  for (const { values, coefficient } of terms) {
    for (let k = 0; k < length; k++) sum[k] = (sum[k] as number) + coefficient * (values[k] as number);
  }
  return sum;
}

/**
 * For each element k, the n deltas' values at k sorted ascending (float64 order; all finite),
 * handed to `reduce`, whose result is the update at k.
 */
export function coordinateWise(deltas: readonly Float32Array[], length: number, reduce: (sorted: Float64Array) => number): Float64Array {
  const update = new Float64Array(length);
  const column = new Float64Array(deltas.length);
  for (let k = 0; k < length; k++) {
    for (let i = 0; i < deltas.length; i++) column[i] = (deltas[i] as Float32Array)[k] as number;
    column.sort();
    update[k] = reduce(column);
  }
  return update;
}
