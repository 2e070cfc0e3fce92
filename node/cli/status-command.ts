/**
 * `gossipfl status` and `gossipfl history`: a data folder's tasks, read without taking the
 * task stores' locks, so both work while a peer runs.
 */
import { resolve } from 'node:path';
import type { VersionRecord } from '../store/versions.ts';
import { CliError, parseNumberOption, parseOptions, type Command } from './command.ts';
import { DEFAULT_DATA_DIR } from './peer-config.ts';
import { listTasks, pickTask, viewTaskStore } from './store-read.ts';

const STATUS_HELP = [
  'Usage: gossipfl status [--dir DIR] [--task ID] [--json]',
  '',
  'Per task in the data folder: the checkpointed round, head version hash, when it was last',
  'updated, and any problem verifying the checkpoint (head blob missing or corrupt, record',
  'missing or disagreeing). Reads without locking: works while a peer runs. Exit code 1 when',
  'a checkpoint has problems.',
  '',
  'Options:',
  `  --dir DIR    the data folder (default ${DEFAULT_DATA_DIR})`,
  '  --task ID    only this task',
  '  --json       print the status as JSON',
].join('\n');

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

interface TaskStatus {
  task: string;
  round: number | undefined;
  head: string | undefined;
  taskHash: string | undefined;
  updatedAt: string | undefined;
  problems: string[];
}

async function taskStatus(dataDir: string, taskId: string): Promise<TaskStatus> {
  const view = await viewTaskStore(dataDir, taskId);
  try {
    const { checkpoint, problems } = await view.checkpoint.verify({ deep: true });
    return {
      task: taskId,
      round: checkpoint?.round,
      head: checkpoint?.head,
      taskHash: checkpoint?.taskHash,
      updatedAt: checkpoint === undefined ? undefined : new Date(checkpoint.updatedAt).toISOString(),
      problems: checkpoint === undefined ? ['no checkpoint yet'] : [...problems],
    };
  } catch (error) {
    return { task: taskId, round: undefined, head: undefined, taskHash: undefined, updatedAt: undefined, problems: [(error as Error).message] };
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show each task\'s round, head version and checkpoint health',
  help: STATUS_HELP,
  async run(args) {
    const { values } = parseOptions('status', args, { dir: { type: 'string' }, task: { type: 'string' }, json: { type: 'boolean' } });
    const dataDir = resolve(values.dir ?? DEFAULT_DATA_DIR);
    const tasks = values.task !== undefined ? [values.task] : await listTasks(dataDir);
    if (tasks.length === 0) {
      if (values.json === true) process.stdout.write(`${JSON.stringify({ dataDir, tasks: [] }, null, 2)}\n`);
      else process.stdout.write(`${dataDir} holds no task yet; start one with \`gossipfl start SIGNED_TASK --dir ${values.dir ?? DEFAULT_DATA_DIR}\`\n`);
      return 0;
    }
    const statuses = [];
    for (const task of tasks) statuses.push(await taskStatus(dataDir, task));
    const healthy = (s: TaskStatus) => s.problems.length === 0 || (s.round === undefined && s.problems[0] === 'no checkpoint yet');
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify({ dataDir, tasks: statuses }, null, 2)}\n`);
    } else {
      for (const s of statuses) {
        const head = s.round === undefined ? 'no checkpoint' : `round ${s.round}  head ${s.head}  updated ${s.updatedAt}`;
        process.stdout.write(`${s.task}  ${head}\n`);
        for (const problem of s.problems) if (problem !== 'no checkpoint yet') process.stdout.write(`  problem: ${problem}\n`);
      }
    }
    return statuses.every(healthy) ? 0 : 1;
  },
};

function describeEnd(end: { kind: string; hash?: string; neededBy?: string | undefined; child?: string; problem?: string }): string {
  switch (end.kind) {
    case 'genesis':
      return 'complete: the chain reaches round 0';
    case 'limit':
      return 'stopped at --limit';
    case 'missing':
      return `incomplete: no record for ${end.hash}${end.neededBy === undefined ? '' : ` (parent of ${end.neededBy.slice(0, 12)})`}`;
    case 'cycle':
      return `broken: the parent links loop at ${end.hash}`;
    default:
      return `broken: ${end.problem ?? end.kind} at ${end.hash ?? '?'}`;
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

