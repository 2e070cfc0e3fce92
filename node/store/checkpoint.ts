/**
 * The checkpoint: the latest accepted version and round of a task, in `checkpoint.json`. Each save
 * first copies the current (valid) checkpoint to `checkpoint.prev.json`, then replaces
 * `checkpoint.json` atomically, so a crash at any instant leaves at least one valid checkpoint,
 * and a corrupt current file falls back to the previous one (with a warning).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hash } from '../../protocols/messages.ts';
import { isHash, moveAside, type BlobStore } from './blobs.ts';
import { StoreCorruptionError, StoreError } from './errors.ts';
import { consoleWarning, errorCode, errorMessage, writeFileAtomic, type WarningSink } from './fs.ts';
import type { VersionStore } from './versions.ts';

export interface Checkpoint {
  /** The task id. */
  readonly task: string;
  /** The content hash of the task manifest this state belongs to. */
  readonly taskHash: Hash;
  readonly round: number;
  /** The version accepted for `round`. */
  readonly head: Hash;
  /** Unix milliseconds. */
  readonly updatedAt: number;
  /** Component state that must survive a restart (e.g. the engine's), JSON-serialisable. */
  readonly extra?: Record<string, unknown>;
}

/** Neither `checkpoint.json` nor `checkpoint.prev.json` holds a valid checkpoint. */
export class CheckpointCorruptionError extends StoreError {
  override name = 'CheckpointCorruptionError';
  readonly paths: readonly string[];
  constructor(paths: readonly string[], problems: readonly string[]) {
    super(
      `no usable checkpoint: ${problems.join('; ')}. ` +
        'Restore the task folder from a backup, or move it aside to start the task again from its initial version',
    );
    this.paths = paths;
  }
}

export interface CheckpointVerification {
  readonly checkpoint: Checkpoint | undefined;
  /** Empty when the checkpoint (if any) names a head that is stored and recorded. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

export interface CheckpointStoreInit {
  /** The task folder. */
  readonly dir: string;
  readonly task: string;
  readonly corruptDir: string;
  readonly blobs: BlobStore;
  readonly versions?: VersionStore;
  readonly onWarning?: WarningSink;
}

export const CHECKPOINT_FILE = 'checkpoint.json';
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.prev.json';

type ReadResult =
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly checkpoint: Checkpoint; readonly text: string }
  | { readonly kind: 'corrupt'; readonly problem: string };

export class CheckpointStore {
  readonly path: string;
  readonly previousPath: string;
  readonly task: string;
  readonly #corruptDir: string;
  readonly #blobs: BlobStore;
  readonly #versions: VersionStore | undefined;
  readonly #warn: WarningSink;
  #saving: Promise<void> = Promise.resolve();

  constructor(init: CheckpointStoreInit) {
    this.path = join(init.dir, CHECKPOINT_FILE);
    this.previousPath = join(init.dir, PREVIOUS_CHECKPOINT_FILE);
    this.task = init.task;
    this.#corruptDir = init.corruptDir;
    this.#blobs = init.blobs;
    this.#versions = init.versions;
    this.#warn = init.onWarning ?? consoleWarning;
  }

  /**
   * Writes `checkpoint` atomically, keeping the current one as the previous. Saves from this
   * process are serialised (each one completes before the next starts).
   */
  save(checkpoint: Checkpoint): Promise<void> {
    const run = this.#saving.then(() => this.#save(checkpoint));
    this.#saving = run.catch(() => undefined);
    return run;
  }

  async #save(checkpoint: Checkpoint): Promise<void> {
    const problems = checkpointProblems(checkpoint, this.task);
    if (problems.length > 0) throw new StoreError(`invalid checkpoint: ${problems.join('; ')}`);
    const current = await this.#read(this.path);
    // Only a valid current checkpoint becomes the previous one: a corrupt file never replaces a good one.
    if (current.kind === 'ok') await writeFileAtomic(this.previousPath, current.text);
    await writeFileAtomic(this.path, serialize(checkpoint));
  }

  /**
   * The latest checkpoint; undefined for a fresh folder. A missing or corrupt current file falls
   * back to the previous one with a warning (a corrupt file is moved aside to `corrupt/`).
   * Throws CheckpointCorruptionError when there are files but none is usable.
   */
  async load(): Promise<Checkpoint | undefined> {
    const current = await this.#read(this.path);
    if (current.kind === 'ok') return current.checkpoint;
    const previous = await this.#read(this.previousPath);
    if (current.kind === 'absent') {
      if (previous.kind === 'absent') return undefined;
      if (previous.kind === 'ok') {
        this.#warn(`${this.path} is missing; using the previous checkpoint ${this.previousPath} (round ${previous.checkpoint.round})`);
        return previous.checkpoint;
      }
      throw new CheckpointCorruptionError([this.previousPath], [`${this.path} is missing`, `${this.previousPath} is ${previous.problem}`]);
    }
    if (previous.kind === 'ok') {
      const movedTo = await moveAside(this.path, this.#corruptDir, CHECKPOINT_FILE);
      this.#warn(
        `${this.path} is ${current.problem}; moved aside to ${movedTo ?? '(already gone)'}; ` +
          `using the previous checkpoint ${this.previousPath} (round ${previous.checkpoint.round})`,
      );
      return previous.checkpoint;
    }
    const problems = [`${this.path} is ${current.problem}`];
    problems.push(previous.kind === 'absent' ? `${this.previousPath} is missing` : `${this.previousPath} is ${previous.problem}`);
    throw new CheckpointCorruptionError([this.path, this.previousPath], problems);
  }

  /**
   * Loads the checkpoint and checks that its head is usable: the head blob is stored and (with
   * `deep`) its bytes match its hash, and its version record (when a version store is attached)
   * exists and has the checkpoint's round. Problems are reported, never repaired silently.
   */
  async verify(options: { readonly deep?: boolean } = {}): Promise<CheckpointVerification> {
    const checkpoint = await this.load();
    const problems: string[] = [];
    if (checkpoint !== undefined) {
      const { head, round } = checkpoint;
      if (!(await this.#blobs.has(head))) {
        problems.push(`the checkpoint's head ${head} (round ${round}) is missing from the blob store (${this.#blobs.pathOf(head)})`);
      } else if (options.deep === true) {
        try {
          await this.#blobs.get(head);
        } catch (error) {
          if (!(error instanceof StoreCorruptionError)) throw error;
          problems.push(`the checkpoint's head ${head} (round ${round}) is corrupt: ${error.message}`);
        }
      }
      if (this.#versions !== undefined) {
        try {
          const record = await this.#versions.get(head);
          if (record === undefined) problems.push(`the checkpoint's head ${head} has no version record`);
          else if (record.round !== round) problems.push(`the checkpoint says round ${round} but the version record of ${head} says round ${record.round}`);
        } catch (error) {
          if (!(error instanceof StoreCorruptionError)) throw error;
          problems.push(error.message);
        }
      }
    }
    return { checkpoint, problems, ok: problems.length === 0 };
  }

  async #read(path: string): Promise<ReadResult> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { kind: 'absent' };
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { kind: 'corrupt', problem: `not valid JSON (${errorMessage(error)})` };
    }
    const problems = checkpointProblems(value, this.task);
    if (problems.length > 0) return { kind: 'corrupt', problem: `not a valid checkpoint (${problems.join('; ')})` };
    return { kind: 'ok', checkpoint: value as Checkpoint, text };
  }
}

/** Every problem with `value` as a checkpoint of task `task` (empty when valid). */
export function checkpointProblems(value: unknown, task: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be an object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (v['task'] !== task) problems.push(`task must be ${JSON.stringify(task)}, got ${JSON.stringify(v['task']) ?? 'nothing'}`);
  if (!isHash(v['taskHash'])) problems.push('taskHash must be 64 lowercase hex characters');
  const round = v['round'];
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0) problems.push('round must be a non-negative integer');
  if (!isHash(v['head'])) problems.push('head must be 64 lowercase hex characters');
  const updatedAt = v['updatedAt'];
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt)) problems.push('updatedAt must be a number (Unix ms)');
  const extra = v['extra'];
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) problems.push('extra must be an object');
  return problems;
}

function serialize(c: Checkpoint): string {
  const out: Record<string, unknown> = { task: c.task, taskHash: c.taskHash, round: c.round, head: c.head, updatedAt: c.updatedAt };
  if (c.extra !== undefined) {
    const where = nonJsonPath(c.extra, 'extra');
    if (where !== undefined) throw new StoreError(`invalid checkpoint: ${where} is not plain JSON (finite numbers, strings, booleans, null, arrays, objects)`);
    out['extra'] = c.extra;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The path of the first value under `value` that JSON would not preserve, or undefined. */
function nonJsonPath(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const bad = nonJsonPath(value[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, child] of Object.entries(value)) {
      const bad = nonJsonPath(child, `${path}.${key}`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  return path;
}
