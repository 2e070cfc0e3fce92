/**
 * Finds the benchmarks (`bench/<name>.bench.ts`), runs each in a child process of its own (TF.js
 * holds one backend per process, libp2p nodes hold process-wide state) and turns what it returns
 * into the record written to `bench/results/<name>.json`.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from './machine.ts';
import type { BenchResult } from './types.ts';

export const BENCH_DIR = import.meta.dirname;
export const RESULTS_DIR = join(BENCH_DIR, 'results');
const SUFFIX = '.bench.ts';
/** Benches run in this order; any others after them, alphabetically. */
export const RUN_ORDER = ['transfer', 'codec', 'aggregate', 'train', 'round', 'memory', 'scale', 'converge'] as const;

/** What the child (`run-one.ts`) sends back over IPC. */
export type ChildMessage =
  | { readonly kind: 'result'; readonly description: string; readonly result: BenchResult; readonly node: string; readonly backend: string | null }
  | { readonly kind: 'error'; readonly error: string };

export interface BenchRecord extends BenchResult {
  readonly bench: string;
  readonly description: string;
  readonly date: string;
  readonly smoke: boolean;
  /** Wall-clock seconds of the whole child process. */
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly node: string;
  /** The TF.js backend active in the bench's process, or null when it did not load TF.js. */
  readonly backend: string | null;
}

export type BenchOutcome = { readonly ok: true; readonly record: BenchRecord } | { readonly ok: false; readonly bench: string; readonly error: string };

/** Every bench name in `dir`, in run order. */
export function discoverBenches(dir = BENCH_DIR): string[] {
  const names = readdirSync(dir)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length));
  return inRunOrder(names);
}

/** `names` without duplicates, in run order. */
export function inRunOrder(names: readonly string[]): string[] {
  const rank = (name: string): number => {
    const at = (RUN_ORDER as readonly string[]).indexOf(name);
    return at === -1 ? RUN_ORDER.length : at;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function resultPath(bench: string, smoke: boolean): string {
  return join(RESULTS_DIR, smoke ? `${bench}.smoke.json` : `${bench}.json`);
}

export function writeRecord(record: BenchRecord): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resultPath(record.bench, record.smoke);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** Runs one bench in a fresh Node process; its progress lines go to this process's stdout. */
export function runInChild(bench: string, options: { readonly smoke: boolean; readonly silent?: boolean }): Promise<BenchOutcome> {
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = machineInfo();
  const child = fork(join(BENCH_DIR, 'run-one.ts'), [bench, ...(options.smoke ? ['--smoke'] : [])], {
    execPath: process.execPath,
    stdio: ['ignore', options.silent === true ? 'ignore' : 'inherit', options.silent === true ? 'pipe' : 'inherit', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  let message: ChildMessage | undefined;
  child.on('message', (received) => {
    message = received as ChildMessage;
  });
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ ok: false, bench, error: `cannot start the bench process: ${error.message}` }));
    child.on('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (message?.kind === 'result') {
        const { description, result, node, backend } = message;
        resolve({ ok: true, record: { bench, description, date, smoke: options.smoke, seconds, machine, node, backend, ...result } });
      } else if (message?.kind === 'error') {
        resolve({ ok: false, bench, error: message.error });
      } else {
        const how = signal === null ? `with code ${code}` : `on signal ${signal}`;
        resolve({ ok: false, bench, error: `the bench process exited ${how} without a result${stderr === '' ? '' : `:\n${stderr}`}` });
      }
    });
  });
}
