/**
 * What both soak runs share: memory samples, the least-squares slope of a figure against the
 * round, warnings counted by kind, and the record written under bench/results/.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from '../machine.ts';
import { MiB, round } from '../measure.ts';
import { RESULTS_DIR, writeRecord, type BenchRecord } from '../runner.ts';
import type { BenchResult } from '../types.ts';

/** One reading of a process's memory, in MiB, with where the run was when it was taken. */
export interface MemorySample {
  /** Wall seconds since the run started. */
  readonly wallSeconds: number;
  /** Rounds completed by every peer when the sample was taken. */
  readonly round: number;
  /** The machine's 1-minute load average at that moment. */
  readonly load: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
}

export interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export function sampleOf(memory: Memory, wallSeconds: number, completedRound: number): MemorySample {
  return {
    wallSeconds: round(wallSeconds, 5),
    round: completedRound,
    load: round(loadavg()[0] ?? 0, 3),
    rssMiB: round(memory.rss / MiB, 5),
    heapUsedMiB: round(memory.heapUsed / MiB, 5),
    externalMiB: round(memory.external / MiB, 5),
    arrayBuffersMiB: round(memory.arrayBuffers / MiB, 5),
  };
}

/** This process's memory after two full collections when gc is exposed (`node --expose-gc`). */
export function ownMemory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage();
}

/**
 * Least-squares slope of `pick` against the round over the samples from round `from` on, in
 * MiB per 100 rounds; NaN with fewer than two distinct rounds.
 */
export function slopePer100Rounds(samples: readonly MemorySample[], pick: (sample: MemorySample) => number, from: number): number {
  const points = samples.filter((sample) => sample.round >= from);
  if (new Set(points.map((p) => p.round)).size < 2) return Number.NaN;
  const meanX = points.reduce((sum, p) => sum + p.round, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + pick(p), 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.round - meanX) * (pick(p) - meanY);
    variance += (p.round - meanX) ** 2;
  }
  return round((covariance / variance) * 100, 4);
}

/** The first sample, the one nearest the middle round, and the last. */
export function startMiddleEnd(samples: readonly MemorySample[], rounds: number): readonly [MemorySample, MemorySample, MemorySample] {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const middle = samples.reduce((best, s) => (Math.abs(s.round - rounds / 2) < Math.abs(best.round - rounds / 2) ? s : best), first);
  return [first, middle, last];
}

/**
 * Warnings counted by kind: the message with peer ids, hashes and numbers blanked, so "round 12:
 * delta from 12D3Koo… could not be pulled" and the same for round 80 count as one kind.
 */
export function warningKinds(messages: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) {
    const kind = message
      .replace(/^peer \d+: /, '')
      .replace(/\b(12D3Koo|Qm)[1-9A-HJ-NP-Za-km-z]{20,}\b/g, '<peer>')
      .replace(/\bsim-peer-\d+\b/g, '<peer>')
      .replace(/\b[0-9a-f]{12,}\b/g, '<hash>')
      .replace(/\d+(\.\d+)?/g, '#')
      .slice(0, 160);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** Mean and maximum of the 1-minute load average over the samples. */
export function loadDuring(samples: readonly { readonly load: number }[]): { readonly mean: number; readonly max: number } {
  const loads = samples.map((s) => s.load);
  return { mean: round(loads.reduce((sum, l) => sum + l, 0) / Math.max(1, loads.length), 3), max: round(Math.max(...loads), 3) };
}

/** Writes `bench/results/<bench>.json` (`.smoke.json` for a smoke run) in the benches' record format. */
export function writeSoakRecord(bench: string, smoke: boolean, started: { readonly date: string; readonly machine: MachineInfo; readonly at: number }, result: BenchResult): { record: BenchRecord; path: string } {
  const tf = (globalThis as { _tfengine?: { backendName?: string | null } })._tfengine;
  const record: BenchRecord = {
    bench,
    description: result.summary,
    date: started.date,
    smoke,
    seconds: (performance.now() - started.at) / 1000,
    machine: started.machine,
    node: process.version,
    backend: tf?.backendName ?? null,
    ...result,
  };
  return { record, path: writeRecord(record) };
}

export function startedNow(): { readonly date: string; readonly machine: MachineInfo; readonly at: number } {
  return { date: new Date().toISOString(), machine: machineInfo(), at: performance.now() };
}

/** Writes `bench/results/<name>.csv` (full runs only: smoke figures mean nothing). */
export function writeCsv(name: string, columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const path = join(RESULTS_DIR, `${name}.csv`);
  writeFileSync(path, `${[columns.join(','), ...rows.map((row) => row.join(','))].join('\n')}\n`);
  return path;
}
