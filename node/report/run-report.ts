/**
 * The report of one training run, written into a folder:
 *
 *   rounds.csv               one row per round (time, curator, contributors, samples, accuracy, loss, bytes)
 *   accuracy.svg             test accuracy vs round, with the target as a dashed reference line
 *   accuracy-vs-bytes.svg    test accuracy vs cumulative MiB moved
 *   history.txt              the provenance chain, newest version first
 *   summary.json             the headline numbers (and a `format` marker that identifies the folder)
 *
 * The folder is created when missing. A non-empty folder is written into only when it holds the
 * `summary.json` of an earlier report (those five files are then replaced; anything else there is
 * left alone), so a mistyped path never scatters files into someone's folder. Every file is written
 * atomically (temporary file in the same folder, then rename); `summary.json` goes first, so even a
 * report interrupted half-way marks its folder as a report folder that the next run may overwrite.
 */
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GossipflError } from '../errors.ts';
import { errorCode, writeFileAtomic } from '../store/fs.ts';
import { toCsv } from './csv.ts';
import { lineChart, type ChartSeries } from './svg-plot.ts';

export const REPORT_FORMAT = 'gossipfl-run-report/1';

export const REPORT_FILES = {
  rounds: 'rounds.csv',
  accuracy: 'accuracy.svg',
  accuracyVsBytes: 'accuracy-vs-bytes.svg',
  history: 'history.txt',
  summary: 'summary.json',
} as const;

/** One completed round, in the order the rounds happened. */
export interface RoundRecord {
  readonly round: number;
  /** Wall-clock seconds since the run started, when the round completed. */
  readonly seconds: number;
  /** The peer that published this round's version, when known. */
  readonly curator?: string;
  /** Number of deltas aggregated. */
  readonly contributors: number;
  /** Training samples behind those deltas. */
  readonly samples: number;
  /** Test-set accuracy in [0, 1] of the round's version; undefined when not evaluated. */
  readonly testAccuracy?: number;
  readonly testLoss?: number;
  /** Bytes moved over the network for this round (adverts, deltas, versions). */
  readonly bytes: number;
}

export interface HistoryContributor {
  readonly peer: string;
  /** Content hash of the peer's delta. */
  readonly delta: string;
  readonly samples: number;
}

/** One version in the provenance chain. */
export interface HistoryRecord {
  readonly round: number;
  readonly hash: string;
  /** Undefined for the initial version. */
  readonly parent?: string;
  readonly curator?: string;
  readonly contributors: readonly HistoryContributor[];
  /** Hashes of other same-round versions merged into this one. */
  readonly merged: readonly string[];
}

export interface RunReport {
  readonly task: string;
  readonly peers: number;
  /** TF.js backend name, e.g. "wasm". */
  readonly backend: string;
  /** Name of the model folder the run used or produced. */
  readonly modelFolder: string;
  /** ISO 8601 time stamp; passed in so the output is reproducible. */
  readonly createdAt: string;
  /** Target test accuracy, if the run had one. */
  readonly target?: number;
  /** Total wall-clock seconds; defaults to the last round's `seconds`. */
  readonly seconds?: number;
  readonly rounds: readonly RoundRecord[];
  /** Newest first. */
  readonly history: readonly HistoryRecord[];
}

/** The contents of summary.json. Absent values are `null`. */
export interface RunSummary {
  readonly format: typeof REPORT_FORMAT;
  readonly task: string;
  readonly rounds: number;
  readonly finalAccuracy: number | null;
  readonly reachedTarget: boolean | null;
  /** First round whose accuracy reached the target. */
  readonly reachedTargetAtRound: number | null;
  readonly target: number | null;
  readonly totalBytes: number;
  readonly seconds: number;
  readonly peers: number;
  readonly backend: string;
  readonly modelFolder: string;
  readonly createdAt: string;
}

export class ReportFolderError extends GossipflError {
  override name = 'ReportFolderError';
}

const MIB = 1024 * 1024;

/** Writes the report's five files into `dir`; returns their paths. */
export async function writeRunReport(dir: string, report: RunReport): Promise<string[]> {
  await prepareFolder(dir);
  const files: [string, string][] = [
    [REPORT_FILES.summary, `${JSON.stringify(summarize(report), null, 2)}\n`],
    [REPORT_FILES.rounds, roundsCsv(report.rounds)],
    [REPORT_FILES.accuracy, accuracyByRoundChart([{ name: 'test accuracy', rounds: report.rounds }], report.target, report.task)],
    [REPORT_FILES.accuracyVsBytes, accuracyByBytesChart([{ name: 'test accuracy', rounds: report.rounds }], report.target, report.task)],
    [REPORT_FILES.history, historyText(report.task, report.history)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}

export function summarize(report: RunReport): RunSummary {
  const last = report.rounds.at(-1);
  const accuracies = report.rounds.filter((r) => isFiniteNumber(r.testAccuracy));
  const finalAccuracy = accuracies.at(-1)?.testAccuracy ?? null;
  const target = report.target ?? null;
  const reached = target === null ? undefined : accuracies.find((r) => (r.testAccuracy ?? -Infinity) >= target);
  return {
    format: REPORT_FORMAT,
    task: report.task,
    rounds: report.rounds.length,
    finalAccuracy,
    reachedTarget: target === null ? null : reached !== undefined,
    reachedTargetAtRound: reached?.round ?? null,
    target,
    totalBytes: report.rounds.reduce((sum, r) => sum + r.bytes, 0),
    seconds: report.seconds ?? last?.seconds ?? 0,
    peers: report.peers,
    backend: report.backend,
    modelFolder: report.modelFolder,
    createdAt: report.createdAt,
  };
}

export const ROUND_COLUMNS = [
  'round',
  'seconds',
  'curator',
  'contributors',
  'samples',
  'test_accuracy',
  'test_loss',
  'bytes',
  'cumulative_bytes',
] as const;

export function roundsCsv(rounds: readonly RoundRecord[]): string {
  let cumulative = 0;
  const rows = rounds.map((r) => {
    cumulative += r.bytes;
    return [r.round, r.seconds, r.curator, r.contributors, r.samples, finiteOrUndefined(r.testAccuracy), finiteOrUndefined(r.testLoss), r.bytes, cumulative];
  });
  return toCsv([...ROUND_COLUMNS], rows);
}

/** A named run for the comparison charts (the simulator draws one per algorithm). */
export interface NamedRounds {
  readonly name: string;
  readonly rounds: readonly RoundRecord[];
}

export function accuracyByRoundChart(runs: readonly NamedRounds[], target: number | undefined, task: string): string {
  const series: ChartSeries[] = runs.map((run) => ({
    name: run.name,
    points: run.rounds.map((r) => ({ x: r.round, y: r.testAccuracy })),
  }));
  return lineChart({
    title: `${task}: test accuracy by round`,
    xLabel: 'round',
    yLabel: 'test accuracy',
    series,
    yRange: [0, 1],
    ...(target === undefined ? {} : { reference: { y: target, label: `target ${target}` } }),
  });
}

export function accuracyByBytesChart(runs: readonly NamedRounds[], target: number | undefined, task: string): string {
  const series: ChartSeries[] = runs.map((run) => {
    let cumulative = 0;
    return {
      name: run.name,
      points: run.rounds.map((r) => {
        cumulative += r.bytes;
        return { x: cumulative / MIB, y: r.testAccuracy };
      }),
    };
  });
  return lineChart({
    title: `${task}: test accuracy by data moved`,
    xLabel: 'cumulative MiB moved',
    yLabel: 'test accuracy',
    series,
    yRange: [0, 1],
    ...(target === undefined ? {} : { reference: { y: target, label: `target ${target}` } }),
  });
}

/** The provenance chain as text, one block per version, in the order given (newest first). */
export function historyText(task: string, history: readonly HistoryRecord[]): string {
  const lines = [`gossipfl provenance: task ${clean(task)}, ${history.length} version${history.length === 1 ? '' : 's'}, newest first`, ''];
  for (const v of history) {
    const samples = v.contributors.reduce((sum, c) => sum + c.samples, 0);
    lines.push(`version ${v.round} ${clean(v.hash)}`);
    lines.push(`  parent        ${v.parent === undefined ? '(none: initial version)' : clean(v.parent)}`);
    lines.push(`  curator       ${v.curator === undefined ? '(none)' : clean(v.curator)}`);
    lines.push(`  contributors  ${v.contributors.length} (${samples} samples)`);
    for (const c of v.contributors) {
      lines.push(`    ${clean(c.peer)}  ${c.samples} samples  delta ${clean(c.delta)}`);
    }
    lines.push(`  merged        ${v.merged.length === 0 ? '(none)' : v.merged.map(clean).join(', ')}`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

async function prepareFolder(dir: string): Promise<void> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new ReportFolderError(`cannot write the report into ${dir}: it is a file, not a folder — choose another path`);
    }
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    return;
  }
  const names = (await readdir(dir)).filter((name) => !isOurTempFile(name));
  if (names.length === 0) return;
  if (!names.includes(REPORT_FILES.summary) || !(await isOurSummary(join(dir, REPORT_FILES.summary)))) {
    throw new ReportFolderError(
      `refusing to write the report into ${dir}: the folder is not empty and holds no summary.json from an earlier gossipfl report — choose an empty or new folder`,
    );
  }
}

async function isOurSummary(path: string): Promise<boolean> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'format' in parsed && parsed.format === REPORT_FORMAT;
  } catch {
    return false;
  }
}

/** Temporary files a crashed earlier write of this report left behind (see store/fs tempPathFor). */
function isOurTempFile(name: string): boolean {
  return name.endsWith('.tmp') && Object.values(REPORT_FILES).some((file) => name.startsWith(`.${file}.`));
}

function isFiniteNumber(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

function finiteOrUndefined(value: number | undefined): number | undefined {
  return isFiniteNumber(value) ? value : undefined;
}

/** Keeps one record on one line: control characters become '?'. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F]/g, '?');
}
