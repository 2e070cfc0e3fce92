/**
 * Read-only access to a data folder for commands that must work while a peer runs (status,
 * history, export): the task stores are opened WITHOUT their lock, and nothing is written
 * except what the stores themselves do on corruption (moving a corrupt file aside to
 * `corrupt/`). Also the strict identity read (`task sign`, `start`): a missing key is an error
 * that says to run `gossipfl init`, never a silently created new identity.
 */
import { access, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadOrCreateIdentity, type Identity } from '../host/identity.ts';
import { BlobStore } from '../store/blobs.ts';
import { CheckpointStore } from '../store/checkpoint.ts';
import { taskDir } from '../store/index.ts';
import { VersionStore } from '../store/versions.ts';
import { CliError } from './command.ts';

/** The copy of the signed task `start` keeps in the task folder (for export). */
export const SIGNED_TASK_COPY = 'task.signed.yaml';

export interface TaskStoreView {
  readonly dir: string;
  readonly taskId: string;
  readonly blobs: BlobStore;
  readonly versions: VersionStore;
  readonly checkpoint: CheckpointStore;
}

const warnToStderr = (message: string) => process.stderr.write(`warning: ${message}\n`);

/** Reads an existing identity key; a missing one says to run `gossipfl init`. */
export async function readIdentityStrict(path: string): Promise<Identity> {
  try {
    await access(path);
  } catch {
    throw new CliError(`no identity key at ${path}; create the data folder with \`gossipfl init --dir <folder>\` first`);
  }
  const identity = await loadOrCreateIdentity(path);
  if (identity.warning !== undefined) warnToStderr(identity.warning);
  return identity;
}

/** The ids of the tasks that have a folder under `<dataDir>/tasks/`, sorted. */
export async function listTasks(dataDir: string): Promise<string[]> {
  try {
    await access(resolve(dataDir));
  } catch {
    throw new CliError(`${resolve(dataDir)} does not exist; create it with \`gossipfl init --dir ${dataDir}\`, or give the right --dir`);
  }
  try {
    const entries = await readdir(join(resolve(dataDir), 'tasks'), { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}

/** The stores of one task, opened read-only (no lock); errors when the task has no folder. */
export async function viewTaskStore(dataDir: string, taskId: string): Promise<TaskStoreView> {
  const tasks = await listTasks(dataDir);
  if (!tasks.includes(taskId)) {
    throw new CliError(`${resolve(dataDir)} holds no state for task "${taskId}" (${tasks.length === 0 ? 'it holds no task yet: run `gossipfl start` first' : `tasks: ${tasks.join(', ')}`})`);
  }
  const dir = taskDir(dataDir, taskId);
  const corruptDir = join(dir, 'corrupt');
  const blobs = new BlobStore({ dir: join(dir, 'blobs'), corruptDir, onWarning: warnToStderr });
  const versions = new VersionStore({ dir: join(dir, 'versions'), corruptDir });
  const checkpoint = new CheckpointStore({ dir, task: taskId, corruptDir, blobs, versions, onWarning: warnToStderr });
  return { dir, taskId, blobs, versions, checkpoint };
}

/** The one task of the data folder when `--task` was not given. */
export async function pickTask(dataDir: string, given: string | undefined, command: string): Promise<string> {
  if (given !== undefined) return given;
  const tasks = await listTasks(dataDir);
  if (tasks.length === 1) return tasks[0]!;
  if (tasks.length === 0) throw new CliError(`${command}: ${resolve(dataDir)} holds no task yet; run \`gossipfl start\` first`);
  throw new CliError(`${command}: ${resolve(dataDir)} holds several tasks (${tasks.join(', ')}); choose one with --task`);
}
