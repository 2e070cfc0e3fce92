/**
 * The task store's lock: a file `LOCK` holding the owner's pid, created exclusively, so two peer
 * processes never share one store. A lock whose pid is no longer alive (a crashed peer) is taken
 * over with a warning.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, StoreLockedError } from './errors.ts';
import { errorCode, syncFolder, TEMP_SUFFIX, type WarningSink } from './fs.ts';

export const LOCK_FILE = 'LOCK';

export interface StoreLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** True when a process with this pid exists (possibly owned by another user). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Takes the lock in `dir`. Throws StoreLockedError naming the holder's pid when a live process
 * (including this one, through another open store) holds it.
 */
export async function acquireLock(dir: string, warn: WarningSink): Promise<StoreLock> {
  const path = join(dir, LOCK_FILE);
  const content = `${process.pid}\n`;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (await createExclusive(path, content)) return makeLock(path, content);
    const holder = await readHolder(path);
    if (holder === 'absent') continue; // released between our attempt and our read: try again
    if (typeof holder === 'number' && isProcessAlive(holder)) throw new StoreLockedError(path, holder);
    // Stale: move it aside under a unique name, check that what we moved is the stale lock we
    // judged (not a lock another process took in the meantime), then try again.
    const aside = join(dir, `.${LOCK_FILE}.stale.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    const moved = await readHolder(aside);
    if (moved !== holder && typeof moved === 'number' && isProcessAlive(moved)) {
      // We moved a live process's fresh lock: put it back and report it.
      await rename(aside, path);
      throw new StoreLockedError(path, moved);
    }
    await rm(aside, { force: true });
    warn(
      typeof holder === 'number'
        ? `took over the lock ${path} left by process ${holder}, which is no longer running`
        : `took over the lock ${path}, which held no valid pid (${holder.garbage})`,
    );
  }
  throw new StoreError(`could not take the lock ${path} after several attempts; another process keeps taking it. Try again`);
}

function makeLock(path: string, content: string): StoreLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      let current: string;
      try {
        current = await readFile(path, 'utf8');
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      if (current === content) await rm(path, { force: true });
    },
  };
}

/**
 * Creates `path` holding `content` only if it does not exist, never leaving it empty or partly
 * written: the content goes to a temporary file that is hard-linked to `path` (exclusive, like
 * `wx`). Falls back to `open(path, 'wx')` on file systems without hard links.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temporary = join(path, '..', `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temporary, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, path);
    await syncFolder(join(path, '..'));
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error) ?? '')) throw error;
    return await createWithWx(path, content);
  } finally {
    await rm(temporary, { force: true });
  }
}

async function createWithWx(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readHolder(path: string): Promise<number | 'absent' | { readonly garbage: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'absent';
    throw error;
  }
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(trimmed)) return { garbage: JSON.stringify(trimmed.slice(0, 40)) };
  return Number(trimmed);
}
