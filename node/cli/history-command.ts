/**
 * `gossipfl history`: a task's provenance chain from its checkpointed head, read without
 * taking the task store's lock, so it works while a peer runs.
 */
import { resolve } from 'node:path';
import type { HistoryEnd, VersionRecord } from '../store/versions.ts';
import { CliError, parseNumberOption, parseOptions, type Command } from './command.ts';
import { DEFAULT_DATA_DIR } from './peer-config.ts';
import { pickTask, viewTaskStore } from './store-read.ts';

const HISTORY_HELP = [
  'Usage: gossipfl history [--dir DIR] --task ID [--limit N] [--json]',
  '',
  'The provenance chain of a task from its checkpointed head back to round 0: per version its',
  'round, hash, curator, contributors (peer, samples) and merged versions; then whether the',
  'chain is complete (reaches round 0) or where it stops. Reads without locking.',
  '',
  'Options:',
  `  --dir DIR    the data folder (default ${DEFAULT_DATA_DIR})`,
  '  --task ID    the task (may be left out when the folder holds one task)',
  '  --limit N    at most N versions',
  '  --json       print {task, head, complete, end, versions} as JSON',
].join('\n');

function describeEnd(end: HistoryEnd): string {
  switch (end.kind) {
    case 'genesis':
      return 'complete: the chain reaches round 0';
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
      process.stdout.write(`${JSON.stringify({ task: taskId, head: checkpoint.head, round: checkpoint.round, complete: history.complete, end: history.end, versions: history.versions }, null, 2)}\n`);
    } else {
      process.stdout.write(`${taskId}: head ${checkpoint.head} at round ${checkpoint.round}\n`);
      for (const version of history.versions) process.stdout.write(`${versionLine(version)}\n`);
      process.stdout.write(`${describeEnd(history.end)}\n`);
    }
    return history.complete || history.end.kind === 'limit' ? 0 : 1;
  },
};

