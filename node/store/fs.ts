/**
 * File helpers for the store: atomic replacement (temp file in the same folder, fsync, rename,
 * fsync of the folder) and cleanup of temporary files a crash left behind.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorCode, errorMessage } from '../errors.ts';

/** Every temporary file the store writes ends with this; nothing else does. */
export const TEMP_SUFFIX = '.tmp';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/**
 * Writes `data` to `path` so that a crash at any instant leaves either the old file or the new
 * one, never a mix: the bytes go to a temporary file in the same folder, are flushed, and the
 * file is renamed over `path`; the folder is then flushed so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = tempPathFor(path);
  let renamed = false;
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    renamed = true;
    await syncFolder(dirname(path));
  } finally {
    if (!renamed) await rm(temporary, { force: true });
  }
}

/** Flushes a folder's entries (a rename into it) to disk. Best effort where unsupported. */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms and file systems cannot fsync a folder; the rename is still atomic.
    if (!['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Removes the store's temporary files (crash leftovers) directly in `folder`; returns their names. */
export async function removeTempFiles(folder: string, keepPrefix?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (name.startsWith('.') && name.endsWith(TEMP_SUFFIX) && (keepPrefix === undefined || !name.startsWith(keepPrefix))) {
      await rm(join(folder, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

export { errorCode, errorMessage };

/** Receives a sentence for the user when something was wrong but was handled. */
export type WarningSink = (message: string) => void;

export const consoleWarning: WarningSink = (message) => {
  console.warn(`gossipfl store: ${message}`);
};
