/** Timing and data helpers shared by the benches. */
import { Rng } from '../node/learn/rng.ts';

export const MiB = 1024 * 1024;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Seconds one call of `fn` takes. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/**
 * Median seconds of `reps` calls of each function, after one warm-up call each; the functions
 * take turns so that a slow spell of a shared machine hits all of them alike.
 */
export async function interleavedMedians(reps: number, fns: readonly (() => unknown)[]): Promise<number[]> {
  for (const fn of fns) await fn();
  const times = fns.map((): number[] => []);
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, fn] of fns.entries()) times[i]?.push(await timeOnce(fn));
  }
  return times.map(median);
}

/** Uniform floats in [−scale, scale), seeded: deltas look like this, small and centred on 0. */
export function randomFloats(length: number, seed: number, scale = 0.01): Float32Array {
  const rng = new Rng(seed);
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = (rng.nextUint32() / 2 ** 31 - 1) * scale;
  return values;
}

/** Rounded for tables and JSON: `digits` significant digits. */
export function round(value: number, digits = 4): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(digits)) : value;
}
