/**
 * The malicious-curator part of a scenario report, for scenarios whose attackers include a
 * `wrong-sum` or `drop-contributions` curator: `curators.csv` (one row per line: its standing
 * rounds and final accuracy, the versions its malicious curators forged, how many were proven and
 * by whom, the rounds abandoned and redone, and forged versions left in honest peers' final
 * chains), `curators.md` (the same as a table) and `fraud-log.csv` (the honest and hostile peers'
 * log lines of accusations, convictions and step-backs the counts are read from).
 */
import { join } from 'node:path';
import { toCsv } from '../../node/report/csv.ts';
import { writeFileAtomic } from '../../node/store/fs.ts';
import type { AlgorithmRun } from '../scenario-run.ts';
import type { Scenario, ScenarioVariant } from '../scenario.ts';
import { attackLabel, isCuratorAttack } from './spec.ts';

export const CURATOR_COLUMNS = [
  'line',
  'attack',
  'rounds',
  'final_accuracy',
  'forged_versions',
  'forged_adopted',
  'convicted_versions',
  'convicted_honest_versions',
  'attackers_convicted',
  'attackers_convicted_by_every_honest_peer',
  'honest_peers_convicted',
  'abandoned_versions',
  'rounds_abandoned',
  'rounds_redone',
  'forged_in_final_chains',
] as const;

export function hasCuratorAttacks(scenario: Scenario): boolean {
  return scenario.algorithms.some((variant) => variant.attackers.some(isCuratorAttack));
}

/** What one line shows about its curators. */
export interface CuratorLine {
  readonly label: string;
  readonly attack: string;
  /** Rounds standing at the end (a redone round counts once). */
  readonly rounds: number;
  readonly finalAccuracy: number | null;
  readonly forgedVersions: number;
  readonly forgedAdopted: number;
  readonly convictedVersions: number;
  readonly convictedHonestVersions: number;
  readonly attackersConvicted: number;
  readonly attackersConvictedByEveryHonestPeer: number;
  readonly honestPeersConvicted: number;
  readonly abandonedVersions: number;
  /** Rounds reported, then abandoned; and those of them that stand again, redone. */
  readonly roundsAbandoned: number;
  readonly roundsRedone: number;
  readonly forgedInFinalChains: number;
}

export function curatorLine(variant: ScenarioVariant, run: AlgorithmRun): CuratorLine {
  const tally = run.fraud?.tally;
  const attackers = new Set(run.attackers.map(({ peer }) => peer));
  const convicted = (tally?.convictedPeers ?? []).filter(({ peer }) => attackers.has(peer));
  const abandoned = new Set(run.abandonedRounds.map(({ round }) => round));
  const standing = new Set(run.rounds.map(({ round }) => round));
  return {
    label: run.label,
    attack: variant.sweep?.attackers ?? attackLabel(variant.attackers),
    rounds: run.rounds.length,
    finalAccuracy: run.rounds.at(-1)?.peerAccuracy.mean ?? null,
    forgedVersions: tally?.forgedVersions ?? 0,
    forgedAdopted: tally?.forgedAdopted ?? 0,
    convictedVersions: tally?.convictedVersions ?? 0,
    convictedHonestVersions: tally?.convictedHonestVersions ?? 0,
    attackersConvicted: convicted.length,
    attackersConvictedByEveryHonestPeer: convicted.filter(({ by }) => by === tally?.honestPeers).length,
    honestPeersConvicted: tally?.honestPeersConvicted ?? 0,
    abandonedVersions: tally?.abandonedVersions ?? 0,
    roundsAbandoned: abandoned.size,
    roundsRedone: [...abandoned].filter((round) => standing.has(round)).length,
    forgedInFinalChains: tally?.forgedInFinalChains ?? 0,
  };
}

const percent = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1));

export function curatorTable(lines: readonly CuratorLine[]): string {
  return [
    'Per line: rounds standing at the end and the final test accuracy (%, mean over peers); versions the malicious curators forged (adopted by some honest peer; the rest were disowned unseen, their curator convicted already), versions proven not to recompute, malicious curators convicted (by every honest peer), rounds abandoned after they completed and redone, and forged versions left in any honest peer\'s final chain.',
    '',
    '| attack | rounds | final accuracy | forged versions (adopted) | convicted versions | curators convicted (by every honest peer) | honest peers convicted | rounds abandoned / redone | forged versions in final chains |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines.map(
      (line) =>
        `| ${line.attack} | ${line.rounds} | ${percent(line.finalAccuracy)} | ${line.forgedVersions} (${line.forgedAdopted}) | ${line.convictedVersions} | ${line.attackersConvicted} (${line.attackersConvictedByEveryHonestPeer}) | ${line.honestPeersConvicted} | ${line.roundsAbandoned} / ${line.roundsRedone} | ${line.forgedInFinalChains} |`,
    ),
    '',
  ].join('\n');
}

export async function writeCuratorReport(dir: string, scenario: Scenario, runs: readonly AlgorithmRun[]): Promise<string[]> {
  const lines = runs.map((run, i) => curatorLine(scenario.algorithms[i]!, run));
  const csv = toCsv(
    CURATOR_COLUMNS,
    lines.map((l) => [
      l.label,
      l.attack,
      l.rounds,
      l.finalAccuracy ?? undefined,
      l.forgedVersions,
      l.forgedAdopted,
      l.convictedVersions,
      l.convictedHonestVersions,
      l.attackersConvicted,
      l.attackersConvictedByEveryHonestPeer,
      l.honestPeersConvicted,
      l.abandonedVersions,
      l.roundsAbandoned,
      l.roundsRedone,
      l.forgedInFinalChains,
    ]),
  );
  const log = toCsv(
    ['line', 'peer', 'message'],
    runs.flatMap((run) => (run.fraud?.logs ?? []).map(({ peer, message }) => [run.label, peer, message])),
  );
  const written = ['curators.csv', 'curators.md', 'fraud-log.csv'].map((file) => join(dir, file));
  await writeFileAtomic(written[0]!, csv);
  await writeFileAtomic(written[1]!, curatorTable(lines));
  await writeFileAtomic(written[2]!, log);
  return written;
}
