/**
 * What every benchmark is: `bench/<name>.bench.ts` default-exports a `Bench`. The runner
 * (`bench/run.ts`, `npm run bench [-- NAME…] [--smoke]`) runs it, prints its table and writes
 * `bench/results/<name>.json` (machine info, Node version, backend, and every figure).
 */
export interface BenchOptions {
  /**
   * A tiny run that only proves the bench code works (used by `npm test`): seconds, not
   * minutes. Its figures mean nothing and are written to `bench/results/<name>.smoke.json`.
   */
  readonly smoke: boolean;
  /** Progress lines for the person watching (not part of the results). */
  readonly log: (line: string) => void;
}

export interface BenchTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface BenchResult {
  /** What was measured and how, one or two sentences (goes into the JSON and the printout). */
  readonly summary: string;
  /** Printed as aligned tables. */
  readonly tables: readonly BenchTable[];
  /** Every figure, JSON-serialisable; the ratios against the same-run baseline included. */
  readonly figures: Readonly<Record<string, unknown>>;
  /** Each goal of the benchmark issue against what was measured. */
  readonly goals: readonly { readonly goal: string; readonly measured: string; readonly met: boolean }[];
}

export interface Bench {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<BenchResult>;
}
