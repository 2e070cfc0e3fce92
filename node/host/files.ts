/**
 * Small file helpers for secrets (identity keys, swarm keys): written atomically, owner-only,
 * and never over an existing file.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorCode, errorMessage } from '../errors.ts';

/** Mode bits a secret file must not have: any access for group or others. */
const GROUP_OR_OTHER = 0o077;

/**
 * Writes `data` to `path` with `mode`, atomically and without replacing an existing file:
 * the bytes go to a temporary file in the same folder (flushed to disk), which is then linked
 * to `path`. Resolves `false` (and writes nothing) when `path` already exists, so two processes
 * racing to create the same file both end up reading the one that won. The folder is created
 * (mode 0700) if missing.
 */
export async function writeNewFileAtomic(path: string, data: Uint8Array, mode: number): Promise<boolean> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(mode); // the umask may have narrowed or the platform widened the mode
      await handle.sync();
    } finally {
      await handle.close();
    }
    return await publish(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Moves the finished temporary file into place unless `path` exists. */
async function publish(temporary: string, path: string): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error) ?? '')) throw error;
  }
  // A file system without hard links: rename, after a last check (a small race, never a
  // silent replacement of a file that existed before we started).
  if (await exists(path)) return false;
  await rename(temporary, path);
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** True when the mode lets the group or others read, write or run the file (POSIX only). */
export function isModeTooPermissive(mode: number): boolean {
  return process.platform !== 'win32' && (mode & GROUP_OR_OTHER) !== 0;
}

/** The permission bits of a mode as an octal string, e.g. "0644". */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

export { errorCode, errorMessage };
