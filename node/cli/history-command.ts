/**
 * `gossipfl history`: a task's provenance chain from its checkpointed head, read without
 * taking the task store's lock, so it works while a peer runs.
 */
import { resolve } from 'node:path';
import type { HistoryEnd, HistoryGap, VersionRecord } from '../store/versions.ts';
import { CliError, parseNumberOption, parseOptions, type Command } from './command.ts';
import { DEFAULT_DATA_DIR } from './peer-config.ts';
import { pickTask, viewTaskStore } from './store-read.ts';

const HISTORY_HELP = [
  'Usage: gossipfl history [--dir DIR] --task ID [--limit N] [--json]',
  '',
  'The provenance chain of a task from its checkpointed head back to round 0: per version its',
  'round, hash, curator, contributors (peer, samples) and merged versions. Rounds this peer never',
  'adopted (it was not running, or caught up past them) show as gaps, and the walk goes on from',
  'the latest earlier version held; versions held off the chain (abandoned branches, merge',
  'leaves) are listed after it. Then whether the chain reaches round 0, or where it stops.',
  'Exit 0 when it reaches round 0. Reads without locking.',
  '',
  'Options:',
  `  --dir DIR    the data folder (default ${DEFAULT_DATA_DIR})`,
  '  --task ID    the task (may be left out when the folder holds one task)',
  '  --limit N    at most N versions',
  '  --json       print {task, head, round, complete, reachesGenesis, end, gaps, versions, offChain} as JSON',
].join('\n');

function describeEnd(end: HistoryEnd): string {
  switch (end.kind) {
    case 'genesis':
      return 'the chain reaches round 0';
    case 'limit':
      return 'stopped at --limit';
    case 'missing':
      return `incomplete: no record for ${end.hash}${end.neededBy === undefined ? '' : ` (parent of ${end.neededBy.slice(0, 12)})`}`;
    case 'cycle':
      return `broken: the parent links loop at ${end.hash}`;
    case 'inconsistent':
      return `broken: ${end.problem} (${end.hash.slice(0, 12)} is the parent of ${end.child.slice(0, 12)})`;
    default: {
      const unknown: never = end;
      return JSON.stringify(unknown);
    }
  }
}

function gapLine(gap: HistoryGap): string {
  const rounds = gap.fromRound === gap.toRound ? `round ${gap.fromRound}` : `rounds ${gap.fromRound}–${gap.toRound}`;
  return `   …     ${rounds} not held here: this peer did not adopt them (it was not running, or caught up past them); parent ${gap.missing.slice(0, 12)} has no record`;
}

function versionLine(v: VersionRecord): string {
  const samples = v.contributors.reduce((sum, c) => sum + c.samples, 0);
  const who = v.contributors.map((c) => `…${c.peer.slice(-8)}:${c.samples}`).join(' ');
  const merged = v.merged.length > 0 ? `  merged ${v.merged.map((m) => m.slice(0, 12)).join(',')}` : '';
  return `round ${String(v.round).padStart(3)}  ${v.hash.slice(0, 16)}  curator ${v.curator === undefined ? '-' : `…${v.curator.slice(-8)}`}  contributors ${v.contributors.length} (${samples} samples)${who === '' ? '' : ` ${who}`}${merged}`;
}

export const historyCommand: Command = {
  name: 'history',
  summary: 'show a task\'s provenance chain from its checkpointed head',
  help: HISTORY_HELP,
  async run(args) {
    const { values } = parseOptions('history', args, { dir: { type: 'string' }, task: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
    const limit = parseNumberOption('history', 'limit', values.limit, (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
    const dataDir = resolve(values.dir ?? DEFAULT_DATA_DIR);
    const taskId = await pickTask(dataDir, values.task, 'history');
    const view = await viewTaskStore(dataDir, taskId);
    const checkpoint = await view.checkpoint.load();
    if (checkpoint === undefined) throw new CliError(`history: task "${taskId}" has no checkpoint yet (the peer has not stored its first version)`);
    const history = await view.versions.history(checkpoint.head, limit);
    if (values.json === true) {
      const { complete, reachesGenesis, end, gaps, versions, offChain } = history;
      process.stdout.write(`${JSON.stringify({ task: taskId, head: checkpoint.head, round: checkpoint.round, complete, reachesGenesis, end, gaps, versions, offChain }, null, 2)}\n`);
    } else {
      process.stdout.write(`${taskId}: head ${checkpoint.head} at round ${checkpoint.round}\n`);
      const gapAfter = new Map(history.gaps.map((gap) => [gap.child, gap]));
      for (const version of history.versions) {
        process.stdout.write(`${versionLine(version)}\n`);
        const gap = gapAfter.get(version.hash);
        if (gap !== undefined) process.stdout.write(`${gapLine(gap)}\n`);
      }
      process.stdout.write(`${describeEnd(history.end)}${history.gaps.length > 0 ? ` (with ${history.gaps.length} gap${history.gaps.length === 1 ? '' : 's'})` : ''}\n`);
      if (history.offChain.length > 0) {
        process.stdout.write(`also held, off this chain (abandoned branches, merge leaves):\n`);
        for (const version of history.offChain) process.stdout.write(`${versionLine(version)}\n`);
      }
    }
    return history.reachesGenesis || history.end.kind === 'limit' ? 0 : 1;
  },
};

