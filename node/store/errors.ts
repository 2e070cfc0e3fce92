/**
 * Errors of the on-disk store. Every one names the file or folder concerned and says what to do.
 */
import { GossipflError } from '../errors.ts';

export class StoreError extends GossipflError {
  override name = 'StoreError';
}

/** A string that is not a content hash (64 lowercase hex characters) was used as one. */
export class InvalidHashError extends StoreError {
  override name = 'InvalidHashError';
  readonly value: string;
  constructor(value: unknown, what = 'hash') {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : typeof value;
    super(`invalid ${what} ${shown}: a content hash is 64 lowercase hex characters (sha256)`);
    this.value = typeof value === 'string' ? value : String(value);
  }
}

/** A file in the store does not hold what it should (wrong hash, bad JSON, missing fields). */
export class StoreCorruptionError extends StoreError {
  override name = 'StoreCorruptionError';
  /** The corrupt file. */
  readonly path: string;
  /** Where the file was moved aside to, when it was. */
  readonly movedTo: string | undefined;
  constructor(path: string, problem: string, movedTo?: string) {
    const where = movedTo === undefined ? '' : `; it was moved aside to ${movedTo}`;
    super(`corrupt store file ${path}: ${problem}${where}. The data will be fetched again from peers or rebuilt; if this repeats, check the disk`);
    this.path = path;
    this.movedTo = movedTo;
  }
}

/** Two different records claim the same version hash. */
export class StoreConflictError extends StoreError {
  override name = 'StoreConflictError';
}

/** Another live process holds the task store's lock. */
export class StoreLockedError extends StoreError {
  override name = 'StoreLockedError';
  readonly pid: number;
  readonly lockPath: string;
  constructor(lockPath: string, pid: number) {
    super(
      `the task store is in use by process ${pid} (lock file ${lockPath}); ` +
        'stop that peer first, or give this peer another data folder',
    );
    this.pid = pid;
    this.lockPath = lockPath;
  }
}
