/**
 * Multi-Krum (Blanchard et al. 2017; El Mhamdi et al. 2018): score each delta by the summed squared
 * distances to its n − f − 2 nearest others, keep the m best-scored, average them.
 */
import { defineStrategy, numberParameter, type AggregationStrategy } from './strategy.ts';
import { applyUpdate, inSenderOrder, linearCombination, squaredDistance } from './vectors.ts';

/** Indices (into the sender-ordered deltas) of the `select` deltas Multi-Krum keeps, best score first; ties go to the lower sender id. */
export function krumSelection(deltas: readonly Float32Array[], byzantine: number, select: number): number[] {
  const n = deltas.length;
  const distances = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = squaredDistance(deltas[i] as Float32Array, deltas[j] as Float32Array);
      (distances[i] as Float64Array)[j] = d;
      (distances[j] as Float64Array)[i] = d;
    }
  }
  const neighbours = Math.min(n - 1, Math.max(1, n - byzantine - 2));
  const scores = distances.map((row, i) => {
    const others = Float64Array.from(row.filter((_, j) => j !== i)).sort();
    let score = 0;
    for (let j = 0; j < neighbours && j < others.length; j++) score += others[j] as number;
    return score;
  });
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  return order.slice(0, Math.min(select, n));
}

export function multiKrum(byzantine: number, select: number): AggregationStrategy {
  return {
    name: 'multi-krum',
    aggregate(base, contributions) {
      const deltas = inSenderOrder(base, contributions).map((c) => c.delta);
      const chosen = krumSelection(deltas, byzantine, select).sort((a, b) => a - b);
      const coefficient = 1 / chosen.length;
      return applyUpdate(base, linearCombination(chosen.map((i) => ({ values: deltas[i] as Float32Array, coefficient })), base.length));
    },
  };
}

export const MULTI_KRUM = defineStrategy({
  name: 'multi-krum',
  summary: 'mean of the m deltas with the best Krum scores (samples ignored)',
  parameters: [
    { key: 'byzantine', doc: 'f, the number of Byzantine deltas assumed; each score sums the n − f − 2 nearest distances', rule: { integer: true, min: 0, expected: 'a whole number ≥ 0' }, default: 1 },
    { key: 'select', doc: 'm, how many best-scored deltas are averaged (1 is Krum)', rule: { integer: true, min: 1, expected: 'a whole number ≥ 1' }, default: 1 },
  ],
  stateTensors: 0,
  create: (parameters) => multiKrum(numberParameter(parameters, 'byzantine'), numberParameter(parameters, 'select')),
});
