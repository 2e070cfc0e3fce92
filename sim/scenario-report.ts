/**
 * A scenario run's output folder: rounds.csv (one row per line of the comparison and round; the
 * `algorithm` column holds the line's label), summary.json, and SVG plots with one line per
 * label — test accuracy by round, by MiB received per peer and by virtual time. `redrawPlots` rebuilds the plots
 * from rounds.csv alone (`gossipfl sim plot`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GossipflError } from '../node/errors.ts';
import { toCsv } from '../node/report/csv.ts';
import { lineChart, type ChartSeries } from '../node/report/svg-plot.ts';
import { writeFileAtomic } from '../node/store/fs.ts';
import type { AlgorithmRun } from './scenario-run.ts';
import type { Scenario } from './scenario.ts';
import { attackLine, hasAttacks, writeAttackReport } from './attack/report.ts';
import { hasCuratorAttacks } from './attack/curator-report.ts';

export const SCENARIO_COLUMNS = [
  'algorithm',
  'round',
  'virtual_time_ms',
  'accuracy',
  'accuracy_min',
  'accuracy_mean',
  'accuracy_max',
  'consensus_distance',
  'honest_delta_norm',
  'bytes_per_peer',
  'messages',
  'curator',
  'contributors',
  'failed_transfers',
  'curator_crashed',
] as const;

const MIB = 1024 * 1024;

export class ScenarioReportError extends GossipflError {
  override name = 'ScenarioReportError';
}

interface PlotRow {
  readonly algorithm: string;
  readonly round: number;
  readonly accuracyMean: number;
  readonly bytesPerPeer: number;
  /** Virtual ms; NaN when the run has no time. */
  readonly timeMs: number;
}

/** The plots of a report folder, by file name. */
export const PLOT_FILES = ['accuracy.svg', 'accuracy-vs-bytes.svg', 'accuracy-vs-time.svg'] as const;

function plots(rows: readonly PlotRow[], title: string, target: number | undefined): Record<(typeof PLOT_FILES)[number], string> {
  const labels = [...new Set(rows.map((row) => row.algorithm))];
  const seriesOf = (x: (row: PlotRow) => number): ChartSeries[] =>
    labels.map((name) => ({ name, points: rows.filter((row) => row.algorithm === name).map((row) => ({ x: x(row), y: row.accuracyMean })) }));
  const reference = target === undefined ? {} : { reference: { y: target, label: `target ${target}` } };
  const chart = (what: string, xLabel: string, x: (row: PlotRow) => number) =>
    lineChart({ title: `${title}: test accuracy by ${what}`, xLabel, yLabel: 'test accuracy (mean over peers)', series: seriesOf(x), yRange: [0, 1], ...reference });
  return {
    'accuracy.svg': chart('round', 'round', (row) => row.round),
    'accuracy-vs-bytes.svg': chart('data received', 'MiB received per peer', (row) => row.bytesPerPeer / MIB),
    'accuracy-vs-time.svg': chart('virtual time', 'virtual time (s)', (row) => row.timeMs / 1000),
  };
}

async function writePlots(dir: string, rows: readonly PlotRow[], title: string, target: number | undefined): Promise<void> {
  for (const [file, svg] of Object.entries(plots(rows, title, target))) await writeFileAtomic(join(dir, file), svg);
}

export async function writeScenarioReport(dir: string, scenario: Scenario, seed: number, runs: readonly AlgorithmRun[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const target = scenario.task.stopping.targetAccuracy;
  const attacked = hasAttacks(scenario);
  const rows = runs.flatMap((run) =>
    run.rounds.map((r) => [
      run.label,
      r.round,
      Number.isNaN(r.time) ? undefined : Math.round(r.time),
      // Protocol-only runs measure no accuracy: blank cells, not NaN.
      ...[r.accuracy, r.peerAccuracy.min, r.peerAccuracy.mean, r.peerAccuracy.max, r.consensusDistance, r.honestDeltaNorm ?? Number.NaN].map((x) => (Number.isNaN(x) ? undefined : x)),
      Math.round(r.bytesPerPeer),
      Number.isNaN(r.messages) ? undefined : r.messages,
      r.curator,
      r.contributors.length,
      r.failedTransfers,
      r.curatorCrashed === undefined ? undefined : Number(r.curatorCrashed),
    ]),
  );
  const summary = {
    format: 'gossipfl-sim-report/1',
    scenario: scenario.name,
    seed,
    peers: scenario.peers,
    target: target ?? null,
    algorithms: runs.map((run, index) => {
      const last = run.rounds.at(-1);
      const reached = target === undefined ? undefined : run.rounds.find((r) => r.peerAccuracy.mean >= target);
      return {
        label: run.label,
        algorithm: run.algorithm,
        rounds: run.rounds.length,
        finalAccuracy: last?.peerAccuracy.mean ?? null,
        bytesPerPeer: last === undefined ? null : Math.round(last.bytesPerPeer),
        virtualMs: last === undefined || Number.isNaN(last.time) ? null : Math.round(last.time),
        ...(target === undefined ? {} : { roundToTarget: reached?.round ?? null, bytesPerPeerToTarget: reached === undefined ? null : Math.round(reached.bytesPerPeer) }),
        ...(attacked ? attackSummary(scenario, run, index) : {}),
        wallSeconds: Number(run.seconds.toFixed(2)),
      };
    }),
  };
  await writeFileAtomic(join(dir, 'rounds.csv'), toCsv(SCENARIO_COLUMNS, rows));
  await writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const plotRows = runs.flatMap((run) => run.rounds.map((r) => ({ algorithm: run.label, round: r.round, accuracyMean: r.peerAccuracy.mean, bytesPerPeer: r.bytesPerPeer, timeMs: r.time })));
  await writePlots(dir, plotRows, scenario.name, target);
  const extra = attacked ? await writeAttackReport(dir, scenario, runs) : [];
  return [...['rounds.csv', 'summary.json', ...PLOT_FILES].map((file) => join(dir, file)), ...extra];
}

/** A line's attack, strategy and attackers (peer ids), for summary.json in a scenario with attacks. */
function attackSummary(scenario: Scenario, run: AlgorithmRun, index: number) {
  const line = attackLine(scenario.algorithms[index]!, run);
  return {
    attack: line.attack,
    aggregation: line.aggregation,
    bestAccuracy: line.bestAccuracy,
    attackers: run.attackers.map(({ peer, kind }) => ({ peer, kind })),
    attackerDeltasAggregated: line.attackerDeltasAggregated,
    ...(hasCuratorAttacks(scenario)
      ? { abandonedRounds: run.abandonedRounds.map(({ round, hash, curator, peerAccuracy }) => ({ round, hash, curator: curator ?? null, accuracy: peerAccuracy.mean })), fraud: run.fraud?.tally ?? null }
      : {}),
  };
}

/** Rebuilds the plots of a report folder from its rounds.csv and summary.json. */
export async function redrawPlots(dir: string): Promise<void> {
  let csv: string;
  let summary: { scenario?: unknown; target?: unknown };
  try {
    csv = await readFile(join(dir, 'rounds.csv'), 'utf8');
    summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { scenario?: unknown; target?: unknown };
  } catch (error) {
    throw new ScenarioReportError(`${dir} is not a simulator report folder (needs rounds.csv and summary.json): ${(error as Error).message}`);
  }
  const [header = '', ...lines] = csv.trim().split('\n');
  // Columns by name, so a folder written before a column was added still redraws.
  const columns = header.split(',');
  const needed = ['algorithm', 'round', 'virtual_time_ms', 'accuracy_mean', 'bytes_per_peer'] as const;
  const missing = needed.filter((name) => !columns.includes(name));
  if (missing.length > 0) throw new ScenarioReportError(`${join(dir, 'rounds.csv')} does not have the simulator's columns (missing ${missing.join(', ')})`);
  const rows = lines.map((line) => {
    const cells = line.split(',');
    // An empty cell (no time for the run, no accuracy in a protocol-only run) is a gap in the plot.
    const number = (name: (typeof needed)[number]) => {
      const cell = cells[columns.indexOf(name)];
      return cell === undefined || cell === '' ? Number.NaN : Number(cell);
    };
    return { algorithm: cells[columns.indexOf('algorithm')] ?? '', round: number('round'), accuracyMean: number('accuracy_mean'), bytesPerPeer: number('bytes_per_peer'), timeMs: number('virtual_time_ms') };
  });
  await writePlots(dir, rows, String(summary.scenario ?? 'scenario'), typeof summary.target === 'number' ? summary.target : undefined);
}
