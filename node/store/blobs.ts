/**
 * The content-addressed blob store: model versions and deltas, each in a file named by the
 * lowercase hex sha256 of its bytes, sharded by the first two hex characters
 * (`blobs/ab/abcdef…`). Writes are atomic and idempotent; reads verify the hash, and a file
 * whose bytes do not match its name is moved aside to `corrupt/` (never served, never deleted).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hash } from '../../protocols/messages.ts';
import { InvalidHashError, StoreCorruptionError } from './errors.ts';
import { consoleWarning, errorCode, removeTempFiles, syncFolder, writeFileAtomic, type WarningSink } from './fs.ts';

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** True for a well-formed content hash: 64 lowercase hex characters. */
export function isHash(value: unknown): value is Hash {
  return typeof value === 'string' && HASH_PATTERN.test(value);
}

/** Throws InvalidHashError unless `value` is a well-formed content hash. */
export function assertHash(value: unknown, what = 'hash'): asserts value is Hash {
  if (!isHash(value)) throw new InvalidHashError(value, what);
}

/** The content hash of `bytes`. */
export function hashBytes(bytes: Uint8Array): Hash {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface BlobStoreInit {
  /** The folder holding the shard folders (`<task>/blobs`). */
  readonly dir: string;
  /** Where corrupt files are moved (`<task>/corrupt`). */
  readonly corruptDir: string;
  readonly onWarning?: WarningSink;
}

export interface PruneResult {
  /** The blobs removed, sorted. */
  readonly removed: Hash[];
  /** How many blobs remain. */
  readonly kept: number;
}

export class BlobStore {
  readonly dir: string;
  readonly corruptDir: string;
  readonly #warn: WarningSink;

  constructor(init: BlobStoreInit) {
    this.dir = init.dir;
    this.corruptDir = init.corruptDir;
    this.#warn = init.onWarning ?? consoleWarning;
  }

  /** The file a blob is (or would be) stored in. Throws InvalidHashError for a malformed hash. */
  pathOf(hash: Hash): string {
    assertHash(hash);
    return join(this.dir, hash.slice(0, 2), hash);
  }

  /**
   * Stores `bytes` and resolves its hash. A blob already present (same size) is not rewritten;
   * one present with the wrong size is corrupt: it is moved aside and replaced.
   */
  async put(bytes: Uint8Array): Promise<Hash> {
    const hash = hashBytes(bytes);
    const path = this.pathOf(hash);
    const existing = await this.size(hash);
    if (existing === bytes.byteLength) return hash;
    if (existing !== undefined) {
      const movedTo = await this.#moveAside(hash, path);
      this.#warn(`blob ${path} had ${existing} bytes instead of ${bytes.byteLength}; moved aside to ${movedTo ?? '(already gone)'} and rewritten`);
    }
    await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true });
    await writeFileAtomic(path, bytes);
    return hash;
  }

  /**
   * The blob's bytes, or undefined when it is not stored. Throws StoreCorruptionError (after
   * moving the file aside to `corrupt/`) when the bytes do not hash to `hash`.
   */
  async get(hash: Hash): Promise<Uint8Array | undefined> {
    const path = this.pathOf(hash);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    const actual = hashBytes(bytes);
    if (actual !== hash) {
      const movedTo = await this.#moveAside(hash, path);
      throw new StoreCorruptionError(path, `its ${bytes.byteLength} bytes hash to ${actual}, not to the name`, movedTo);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** True when a file for `hash` exists (its bytes are verified only by `get`). */
  async has(hash: Hash): Promise<boolean> {
    return (await this.size(hash)) !== undefined;
  }

  /** The stored blob's size in bytes, or undefined when it is not stored. */
  async size(hash: Hash): Promise<number | undefined> {
    const path = this.pathOf(hash);
    try {
      const info = await stat(path);
      return info.isFile() ? info.size : undefined;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Removes a blob; resolves false when it was not stored. */
  async delete(hash: Hash): Promise<boolean> {
    const path = this.pathOf(hash);
    try {
      await rm(path);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    return true;
  }

  /** Every stored blob's hash, sorted. Files that are not blobs (wrong name or shard) are ignored. */
  async list(): Promise<Hash[]> {
    const hashes: Hash[] = [];
    for (const shard of await this.#shards()) {
      for (const name of await readdirOrEmpty(join(this.dir, shard))) {
        if (isHash(name) && name.startsWith(shard)) hashes.push(name);
      }
    }
    return hashes.sort();
  }

  /**
   * Removes every blob not in `keep` (e.g. the last N versions and their deltas). Empty shard
   * folders are removed too.
   */
  async prune(keep: ReadonlySet<Hash>): Promise<PruneResult> {
    for (const hash of keep) assertHash(hash, 'hash to keep');
    const removed: Hash[] = [];
    let kept = 0;
    for (const hash of await this.list()) {
      if (keep.has(hash)) {
        kept += 1;
      } else if (await this.delete(hash)) {
        removed.push(hash);
      }
    }
    for (const shard of await this.#shards()) {
      try {
        await rmdir(join(this.dir, shard));
      } catch (error) {
        if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errorCode(error) ?? '')) throw error;
      }
    }
    return { removed, kept };
  }

  /** Removes temporary files a crash left in the shard folders; resolves how many. */
  async removeTempFiles(): Promise<number> {
    let count = 0;
    for (const shard of await this.#shards()) count += (await removeTempFiles(join(this.dir, shard))).length;
    return count;
  }

  async #shards(): Promise<string[]> {
    return (await readdirOrEmpty(this.dir)).filter((name) => /^[0-9a-f]{2}$/.test(name));
  }

  async #moveAside(hash: Hash, path: string): Promise<string | undefined> {
    return moveAside(path, this.corruptDir, hash);
  }
}

/**
 * Moves a corrupt file into `corruptDir` under a unique name starting with `label`; resolves
 * the new path, or undefined when the file was already gone (moved aside by a concurrent read).
 */
export async function moveAside(path: string, corruptDir: string, label: string): Promise<string | undefined> {
  await mkdir(corruptDir, { recursive: true });
  const target = join(corruptDir, `${label}.${Date.now()}.${randomBytes(3).toString('hex')}`);
  try {
    await rename(path, target);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  await syncFolder(corruptDir);
  return target;
}

async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}
