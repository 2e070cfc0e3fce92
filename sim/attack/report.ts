/**
 * The attack part of a scenario report, for scenarios with hostile peers: `attacks.csv` (one row
 * per line: its attack, its aggregation strategy, its final and best accuracy, its attackers and
 * how many of their deltas were aggregated), `attacks.md` (final accuracy as a table, attack ×
 * strategy, with the gap to the clean line of the same strategy), and one plot per strategy,
 * `accuracy-<strategy>.svg`, with a line per attack. Per-round accuracy is in rounds.csv. With
 * malicious curators, also their report (sim/attack/curator-report.ts).
 */
import { join } from 'node:path';
import { toCsv } from '../../node/report/csv.ts';
import { lineChart } from '../../node/report/svg-plot.ts';
import { writeFileAtomic } from '../../node/store/fs.ts';
import type { AlgorithmRun } from '../scenario-run.ts';
import type { Scenario, ScenarioVariant } from '../scenario.ts';
import { attackLabel } from './spec.ts';
import { hasCuratorAttacks, writeCuratorReport } from './curator-report.ts';

export const ATTACK_COLUMNS = ['line', 'attack', 'aggregation', 'rounds', 'final_accuracy', 'best_accuracy', 'attackers', 'attacker_deltas_aggregated', 'attacker_deltas_possible'] as const;

/** What one line of a scenario with attacks shows. */
export interface AttackLine {
  readonly label: string;
  readonly attack: string;
  readonly aggregation: string;
  readonly rounds: number;
  readonly finalAccuracy: number | null;
  readonly bestAccuracy: number | null;
  /** The attackers' peer indices. */
  readonly attackers: readonly number[];
  /** Attackers' deltas the versions list as contributions, over every round; and attackers × rounds. */
  readonly attackerDeltasAggregated: number;
  readonly attackerDeltasPossible: number;
}

export function hasAttacks(scenario: Scenario): boolean {
  return scenario.algorithms.some((variant) => variant.attackers.length > 0);
}

export function attackLine(variant: ScenarioVariant, run: AlgorithmRun): AttackLine {
  const ids = new Set(run.attackers.map((attacker) => attacker.peer));
  const accuracies = run.rounds.map((round) => round.peerAccuracy.mean);
  return {
    label: run.label,
    attack: variant.sweep?.attackers ?? attackLabel(variant.attackers),
    aggregation: variant.sweep?.aggregation ?? variant.task.aggregation.strategy,
    rounds: run.rounds.length,
    finalAccuracy: accuracies.at(-1) ?? null,
    bestAccuracy: accuracies.length === 0 ? null : Math.max(...accuracies),
    attackers: run.attackers.map((attacker) => attacker.index),
    attackerDeltasAggregated: run.rounds.reduce((sum, round) => sum + round.contributors.filter((peer) => ids.has(peer)).length, 0),
    attackerDeltasPossible: ids.size * run.rounds.length,
  };
}

const percent = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1));

/** Final accuracy (%) by attack (rows) and strategy (columns), with the gap to the same strategy's clean line. */
export function attackTable(lines: readonly AttackLine[]): string {
  const attacks = [...new Set(lines.map((line) => line.attack))];
  const strategies = [...new Set(lines.map((line) => line.aggregation))];
  const cell = (attack: string, strategy: string) => lines.find((line) => line.attack === attack && line.aggregation === strategy);
  const rows = attacks.map((attack) => {
    const cells = strategies.map((strategy) => {
      const line = cell(attack, strategy);
      if (line === undefined) return '';
      const clean = attack === 'clean' ? undefined : cell('clean', strategy);
      const gap = clean?.finalAccuracy != null && line.finalAccuracy !== null ? ` (${(100 * (line.finalAccuracy - clean.finalAccuracy)).toFixed(1)})` : '';
      return `${percent(line.finalAccuracy)}${gap}`;
    });
    return `| ${attack} | ${cells.join(' | ')} |`;
  });
  return [
    'Final test accuracy (%, mean over peers) by attack and aggregation strategy; in brackets, points against the clean line of the same strategy.',
    '',
    `| attack | ${strategies.join(' | ')} |`,
    `|---|${strategies.map(() => '---').join('|')}|`,
    ...rows,
    '',
  ].join('\n');
}

export async function writeAttackReport(dir: string, scenario: Scenario, runs: readonly AlgorithmRun[]): Promise<string[]> {
  const lines = runs.map((run, i) => attackLine(scenario.algorithms[i]!, run));
  const csv = toCsv(
    ATTACK_COLUMNS,
    lines.map((line) => [line.label, line.attack, line.aggregation, line.rounds, line.finalAccuracy ?? undefined, line.bestAccuracy ?? undefined, line.attackers.join(' '), line.attackerDeltasAggregated, line.attackerDeltasPossible]),
  );
  const written = [join(dir, 'attacks.csv'), join(dir, 'attacks.md')];
  await writeFileAtomic(written[0]!, csv);
  await writeFileAtomic(written[1]!, attackTable(lines));
  for (const strategy of new Set(lines.map((line) => line.aggregation))) {
    const series = runs.flatMap((run, i) =>
      lines[i]!.aggregation === strategy ? [{ name: lines[i]!.attack, points: run.rounds.map((round) => ({ x: round.round, y: round.peerAccuracy.mean })) }] : [],
    );
    const file = join(dir, `accuracy-${strategy}.svg`);
    await writeFileAtomic(file, lineChart({ title: `${scenario.name}, ${strategy}: test accuracy by round under each attack`, xLabel: 'round', yLabel: 'test accuracy (mean over peers)', series, yRange: [0, 1] }));
    written.push(file);
  }
  if (hasCuratorAttacks(scenario)) written.push(...(await writeCuratorReport(dir, scenario, runs)));
  return written;
}
