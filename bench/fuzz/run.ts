/**
 * `npm run fuzz [-- --scale N] [--seed S] [--files PATH…]`: the long fuzz run. Runs the
 * properties of test/fuzz with every run count multiplied by `scale` (default 100) and a
 * random seed (printed, so a failure can be replayed with --seed), then prints how many
 * inputs each target got and how long it took, and writes bench/results/fuzz.json.
 * The short run (fixed seed, scale 1) is part of `npm test`.
 * Exits with vitest's status: 0 when every property held.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run fuzz [-- --scale N] [--seed S] [--files PATH…]';

interface TargetRecord {
  readonly target: string;
  readonly inputs: number;
  readonly ms: number;
  /** False when the property failed on some input (its count stops there). */
  readonly held: boolean;
}

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    console.error(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}\n${USAGE}`);
    process.exit(2);
  }
  return parsed;
}

function parseCommandLine(): { scale: number; seed: number; files: string[] } {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { scale: { type: 'string' }, seed: { type: 'string' }, files: { type: 'string', multiple: true } },
    });
    return {
      scale: Math.max(1, positiveInteger(values.scale, '--scale', 100)),
      seed: positiveInteger(values.seed, '--seed', randomInt(0, 2 ** 31)),
      files: [...(values.files ?? []), ...positionals],
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const { scale, seed, files } = parseCommandLine();
const folder = mkdtempSync(join(tmpdir(), 'gossipfl-fuzz-'));
const reportFile = join(folder, 'targets.jsonl');
console.log(`fuzz: seed ${seed}, scale ${scale} (replay with: npm run fuzz -- --seed ${seed} --scale ${scale})`);

const started = performance.now();
const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', ...(files.length > 0 ? files : ['test/fuzz']), '--testTimeout', String(6 * 60 * 60_000)],
  { stdio: 'inherit', env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_SCALE: String(scale), FUZZ_REPORT: reportFile } },
);
const totalMs = Math.round(performance.now() - started);

let records: TargetRecord[] = [];
try {
  records = readFileSync(reportFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TargetRecord);
} catch {
  // No property finished (vitest failed before any): the table is empty.
}
rmSync(folder, { recursive: true, force: true });

const width = Math.max(6, ...records.map((record) => record.target.length));
console.log(`\n${'target'.padEnd(width)}  ${'inputs'.padStart(10)}  ${'seconds'.padStart(8)}  ${'inputs/s'.padStart(9)}  result`);
for (const record of records) {
  const perSecond = record.ms > 0 ? Math.round((record.inputs * 1000) / record.ms) : record.inputs;
  console.log(`${record.target.padEnd(width)}  ${String(record.inputs).padStart(10)}  ${(record.ms / 1000).toFixed(1).padStart(8)}  ${String(perSecond).padStart(9)}  ${record.held ? 'held' : 'FAILED'}`);
}
const inputs = records.reduce((sum, record) => sum + record.inputs, 0);
console.log(`${'total'.padEnd(width)}  ${String(inputs).padStart(10)}  ${(totalMs / 1000).toFixed(1).padStart(8)}  (wall clock, vitest included)`);

const status = vitest.status ?? 1;
console.log(status === 0 ? 'every property held' : `vitest exited with ${status}: a property failed (replay with --seed ${seed} --scale ${scale})`);
const resultFile = join('bench', 'results', 'fuzz.json');
writeFileSync(resultFile, `${JSON.stringify({ seed, scale, totalMs, inputs, passed: status === 0, targets: records }, null, 2)}\n`);
console.log(`wrote ${relative(process.cwd(), resultFile)}`);
process.exit(status);
