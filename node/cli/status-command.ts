/**
 * `gossipfl status`: a data folder's tasks, read without taking the task stores' locks, so it
 * works while a peer runs.
 */
import { resolve } from 'node:path';
import { parseOptions, type Command } from './command.ts';
import { DEFAULT_DATA_DIR } from './peer-config.ts';
import { listTasks, viewTaskStore } from './store-read.ts';

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
