/**
 * Every bench's smoke run (`npm run bench -- NAME --smoke`), through the runner's child process:
 * the bench code keeps working and returns the figures it promises. No speed is asserted —
 * benchmarks are not tests. A new bench joins by adding its name and the figures it must carry.
 */
import { describe, expect, it } from 'vitest';
import { runInChild, type BenchRecord } from '../../bench/runner.ts';

/**
 * For each bench: figures that must be positive numbers, as paths into its `figures`
 * (`a.b`; `list[]` means every element of a non-empty list).
 */
const SMOKE_BENCHES: Record<string, readonly string[]> = {
  transfer: ['sizes[].oursMiBps', 'sizes[].rawMiBps', 'sizes[].rawVerifiedMiBps', 'sizes[].ratio'],
  codec: [
    'copyMFloatsPerSecond',
    'encodings[].bytes',
    'encodings[].smallerBy',
    'encodings[].encodeMFloatsPerSecond',
    'encodings[].decodeMFloatsPerSecond',
    'simulation.f32Accuracy',
    'simulation.int8Accuracy',
  ],
  aggregate: ['cells[].fedavgGBps', 'cells[].copyGBps', 'cells[].ratio'],
  train: ['results[].oursSamplesPerSecond', 'results[].bareSamplesPerSecond', 'results[].ratio'],
  scale: ['cases[].seconds', 'cases[].events', 'cases[].rounds', 'cases[].messages'],
  converge: ['lines[].rounds', 'lines[].bytesPerPeerToTarget', 'lines[].finalAccuracy', 'comparisons[].roundsVsFedavg', 'comparisons[].bytesVsGossip'],
  round: ['sizes[].medianMs.nonTraining', 'sizes[].medianMs.cycle', 'sizes[].medianMs.distribute', 'sizes[].medianMs.pull', 'sizes[].medianMs.aggregate', 'sizes[].cpuSecondsPerRound'],
  memory: ['peer.oneProcess.rssMiB', 'peer.separateProcesses.rssMiB', 'idle.separateProcesses.rssMiB', 'peer.freshProcessMiB', 'idle.freshProcessMiB'],
  hostile: ['cleanFirst.measuredSeconds', 'cleanLast.measuredSeconds', 'attacks[].measuredSeconds', 'floodRss.samples[].rssMiB'],
  audit: ['rules[].curator.cpuMs', 'rules[].auditor.cpuMs', 'rules[].ratio', 'rules[].bytes.deltaBlob', 'rules[].bytes.existing', 'rules[].bytes.signatureExtra', 'rules[].bytes.auditPullExtra'],
};

/** Every value at `path`; an absent field or empty list gives `undefined`, which fails the check. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  const [head, ...rest] = path;
  if (head === undefined) return [value];
  const isList = head.endsWith('[]');
  const inner = (value as Record<string, unknown> | undefined)?.[isList ? head.slice(0, -2) : head];
  if (!isList) return valuesAt(inner, rest);
  return Array.isArray(inner) && inner.length > 0 ? inner.flatMap((item) => valuesAt(item, rest)) : [undefined];
}

/** JSON leaves that are numbers must be finite (NaN and Infinity become null in the results file). */
function nonFinite(value: unknown, path = 'figures'): string[] {
  if (value === null) return [path];
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => nonFinite(inner, `${path}.${key}`));
}

describe('bench smoke runs', () => {
  for (const [name, positivePaths] of Object.entries(SMOKE_BENCHES)) {
    it(`${name} runs and reports its figures and goals`, { timeout: 180_000 }, async () => {
      const outcome = await runInChild(name, { smoke: true, silent: true });
      if (!outcome.ok) throw new Error(`${name} failed: ${outcome.error}`);
      const record: BenchRecord = outcome.record;
      expect(record).toMatchObject({ bench: name, smoke: true, node: process.version });
      expect(record.summary.length).toBeGreaterThan(0);
      expect(record.tables.length).toBeGreaterThan(0);
      for (const table of record.tables) expect(table.rows.length).toBeGreaterThan(0);
      expect(record.goals.length).toBeGreaterThan(0);
      expect(nonFinite(JSON.parse(JSON.stringify(record.figures)))).toEqual([]);
      for (const path of positivePaths) {
        for (const value of valuesAt(record.figures, path.split('.'))) expect(value, path).toBeGreaterThan(0);
      }
    });
  }
});
