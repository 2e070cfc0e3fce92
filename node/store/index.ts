/**
 * A peer's state for one task on disk, in `<dataDir>/tasks/<taskId>/`:
 *
 *   LOCK                    pid of the process using the store (created exclusively)
 *   blobs/ab/abcdef…        content-addressed blobs (versions, deltas), sha256-named
 *   versions/<hash>.json    one record per version
 *   checkpoint.json         the latest accepted version and round
 *   checkpoint.prev.json    the checkpoint before it (fallback when the current one is corrupt)
 *   convictions.json        peers convicted by a fraud proof (never curate again)
 *   corrupt/                files that failed verification, moved aside (never served, never deleted)
 *
 * Every file is written atomically (temporary file, fsync, rename), so a peer killed at any instant
 * restarts from a consistent state; temporary files a crash left behind are removed on open.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BlobStore } from './blobs.ts';
import { CheckpointStore } from './checkpoint.ts';
import { ConvictionStore } from './convictions.ts';
import { StoreError } from './errors.ts';
import { consoleWarning, removeTempFiles, type WarningSink } from './fs.ts';
import { acquireLock, LOCK_FILE } from './lock.ts';
import { VersionStore } from './versions.ts';

export { BlobStore, assertHash, hashBytes, isHash, type PruneResult } from './blobs.ts';
export { CheckpointCorruptionError, CheckpointStore, type Checkpoint, type CheckpointVerification } from './checkpoint.ts';
export { ConvictionStore, type Conviction } from './convictions.ts';
export {
  InvalidHashError,
  StoreConflictError,
  StoreCorruptionError,
  StoreError,
  StoreLockedError,
} from './errors.ts';
export type { WarningSink } from './fs.ts';
export { isProcessAlive } from './lock.ts';
export { VersionStore, type HistoryEnd, type HistoryGap, type VersionHistory, type VersionMetrics, type VersionRecord } from './versions.ts';

/** Task ids as the manifest defines them (node/task/manifest.ts TASK_ID_PATTERN): also path-safe. */
const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

export interface OpenTaskStoreOptions {
  /** Receives warnings (stale lock taken over, checkpoint fallback…). Default: console.warn. */
  readonly onWarning?: WarningSink;
}

export interface TaskStore {
  /** The task folder. */
  readonly dir: string;
  readonly taskId: string;
  readonly blobs: BlobStore;
  readonly versions: VersionStore;
  readonly checkpoint: CheckpointStore;
  /** Peers convicted by a fraud proof (PROTOCOL §7.15), kept across restarts. */
  readonly convictions: ConvictionStore;
  /** Temporary files a crash left behind, removed when the store was opened. */
  readonly removedTempFiles: number;
  /** Releases the lock. Idempotent. The stores must not be used afterwards. */
  close(): Promise<void>;
}

/** The folder of task `taskId` under `dataDir`. */
export function taskDir(dataDir: string, taskId: string): string {
  if (!TASK_ID_PATTERN.test(taskId)) {
    throw new StoreError(`invalid task id ${JSON.stringify(taskId)}: must be 3–64 characters of a-z, 0-9 and "-", starting with a letter or digit`);
  }
  return join(resolve(dataDir), 'tasks', taskId);
}

/**
 * Opens (creating as needed) the store of task `taskId` under `dataDir`, taking its lock.
 * Throws StoreLockedError when another live process holds it; a stale lock is taken over with a
 * warning. Temporary files left by a crash are removed.
 */
export async function openTaskStore(dataDir: string, taskId: string, options: OpenTaskStoreOptions = {}): Promise<TaskStore> {
  const warn = options.onWarning ?? consoleWarning;
  const dir = taskDir(dataDir, taskId);
  const blobsDir = join(dir, 'blobs');
  const versionsDir = join(dir, 'versions');
  const corruptDir = join(dir, 'corrupt');
  await mkdir(dir, { recursive: true });
  const lock = await acquireLock(dir, warn);
  try {
    await mkdir(blobsDir, { recursive: true });
    await mkdir(versionsDir, { recursive: true });
    const blobs = new BlobStore({ dir: blobsDir, corruptDir, onWarning: warn });
    const versions = new VersionStore({ dir: versionsDir, corruptDir });
    const checkpoint = new CheckpointStore({ dir, task: taskId, corruptDir, blobs, versions, onWarning: warn });
    const convictions = new ConvictionStore({ dir, corruptDir, onWarning: warn });
    // Only now, holding the lock, is no other process writing here: temporary files are leftovers.
    const removed =
      (await removeTempFiles(dir, `.${LOCK_FILE}`)).length + (await removeTempFiles(versionsDir)).length + (await blobs.removeTempFiles());
    if (removed > 0) warn(`removed ${removed} temporary file(s) left in ${dir} by an interrupted write`);
    let closed = false;
    return {
      dir,
      taskId,
      blobs,
      versions,
      checkpoint,
      convictions,
      removedTempFiles: removed,
      async close() {
        if (closed) return;
        closed = true;
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
