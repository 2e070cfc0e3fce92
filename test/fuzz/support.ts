/**
 * Shared settings of the fuzz harness (test/fuzz/*.test.ts).
 *
 * Short run (inside `npm test`): a fixed seed and small run counts, so CI is deterministic
 * and the whole folder takes a few seconds. Long run (`npm run fuzz`, bench/fuzz/run.ts):
 * FUZZ_SEED (random, printed), FUZZ_SCALE (every property runs scale × its short count) and
 * FUZZ_REPORT (a file each property appends one JSON line to: target, inputs, milliseconds).
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Seed of the short run; the long run sets FUZZ_SEED. */
export const SHORT_RUN_SEED = 20_261_203;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

export const FUZZ_SEED = envNumber('FUZZ_SEED', SHORT_RUN_SEED);
export const FUZZ_SCALE = Math.max(1, envNumber('FUZZ_SCALE', 1));

/**
 * The longest one decode may take, in ms. Inputs are at most a few hundred KiB; a decoder
 * that loops or backtracks on crafted input blows far past this. Generous because the test
 * machines are shared and loaded.
 */
export const MAX_DECODE_MS = 1_000;

/** Counts the inputs one target received and writes the count (long run) when it finishes. */
export class TargetCounter {
  inputs = 0;
  readonly target: string;
  readonly #started = performance.now();
  constructor(target: string) {
    this.target = target;
  }

  /** Records the count (long run); `held` is false when the property failed on some input. */
  finish(held: boolean): void {
    const ms = Math.round(performance.now() - this.#started);
    const file = process.env['FUZZ_REPORT'];
    if (file !== undefined && file !== '') {
      appendFileSync(file, `${JSON.stringify({ target: this.target, inputs: this.inputs, ms, held, seed: FUZZ_SEED })}\n`);
    }
  }
}

/** fast-check parameters for a property whose short run has `shortRuns` runs. */
export function params(shortRuns: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: FUZZ_SEED, numRuns: shortRuns * FUZZ_SCALE, endOnFailure: false };
}

/** Runs a synchronous property, counting inputs under `target`. */
export function fuzz<Ts extends [unknown, ...unknown[]]>(
  target: string,
  shortRuns: number,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void,
): void {
  const counter = new TargetCounter(target);
  const property = fc.property(...arbitraries, (...args: Ts) => {
    counter.inputs++;
    predicate(...args);
  });
  let held = false;
  try {
    fc.assert(property, params(shortRuns));
    held = true;
  } finally {
    counter.finish(held);
  }
}

/** Runs an asynchronous property, counting inputs under `target`. */
export async function fuzzAsync<Ts extends [unknown, ...unknown[]]>(
  target: string,
  shortRuns: number,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => Promise<void>,
): Promise<void> {
  const counter = new TargetCounter(target);
  const property = fc.asyncProperty(...arbitraries, async (...args: Ts) => {
    counter.inputs++;
    await predicate(...args);
  });
  let held = false;
  try {
    await fc.assert(property, params(shortRuns));
    held = true;
  } finally {
    counter.finish(held);
  }
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Calls `decode` and checks it either returned or threw an instance of one of `allowed`
 * (by class and by `name`), within MAX_DECODE_MS. Any other throw (TypeError, RangeError…)
 * fails the property with the input's outcome.
 */
export function expectDecodeOutcome<T>(
  decode: () => T,
  allowed: readonly (abstract new (...args: never[]) => Error)[],
): Outcome<T> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: decode() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  expect(performance.now() - started).toBeLessThan(MAX_DECODE_MS);
  if (!outcome.ok) expectAllowedError(outcome.error, allowed);
  return outcome;
}

/** Like expectDecodeOutcome for an async decoder; a decode still pending after MAX_DECODE_MS fails. */
export async function expectDecodeOutcomeAsync<T>(
  decode: () => Promise<T>,
  allowed: readonly (abstract new (...args: never[]) => Error)[],
): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`decode still running after ${MAX_DECODE_MS} ms`)), MAX_DECODE_MS);
  });
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: await Promise.race([decode(), hang]) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
  if (!outcome.ok) expectAllowedError(outcome.error, allowed);
  return outcome;
}

/** Checks that `error` is an instance of one of `allowed` and carries its own class's `name`. */
export function expectAllowedError(error: unknown, allowed: readonly (abstract new (...args: never[]) => Error)[]): void {
  if (!allowed.some((errorClass) => error instanceof errorClass)) {
    const description = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    throw new Error(`unexpected exception (allowed: ${allowed.map((c) => c.name).join(', ')}): ${description}`);
  }
  // Tests and callers tell errors apart by `name`: a subclass must not print as its parent.
  expect((error as Error).name).toBe((error as Error).constructor.name);
}
