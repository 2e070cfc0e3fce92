/**
 * A simulated peer's store, in memory: the same contract the runtime relies on from the
 * on-disk TaskStore (content-addressed blobs, version records, one checkpoint), without files.
 * Blob bytes are shared between peers through one `BlobPool` (a blob held by a hundred peers is
 * kept once); each store remembers which hashes its peer holds.
 */
import { createHash } from 'node:crypto';
import type { Hash } from '../../protocols/messages.ts';
import type { RuntimeStore } from '../../node/peer/runtime.ts';
import type { Checkpoint, CheckpointVerification, Conviction, VersionRecord } from '../../node/store/index.ts';

/** Blob bytes by hash, shared by every simulated peer, with a count of holders to free them. */
export class BlobPool {
  readonly #bytes = new Map<Hash, { bytes: Uint8Array; holders: number }>();
  /**
   * Hashes of byte arrays already seen. Blobs are never mutated, and a simulated pull hands
   * out the pooled array itself, so a thousand peers storing one version hash it once.
   */
  readonly #hashOf = new WeakMap<Uint8Array, Hash>();

  /** The sha256 of `bytes`, computed once per array. */
  hash(bytes: Uint8Array): Hash {
    let hash = this.#hashOf.get(bytes);
    if (hash === undefined) {
      hash = createHash('sha256').update(bytes).digest('hex');
      this.#hashOf.set(bytes, hash);
    }
    return hash;
  }

  add(bytes: Uint8Array): Hash {
    const hash = this.hash(bytes);
    const entry = this.#bytes.get(hash);
    if (entry === undefined) this.#bytes.set(hash, { bytes, holders: 1 });
    else entry.holders++;
    return hash;
  }

  addExisting(hash: Hash): boolean {
    const entry = this.#bytes.get(hash);
    if (entry !== undefined) entry.holders++;
    return entry !== undefined;
  }

  get(hash: Hash): Uint8Array | undefined {
    return this.#bytes.get(hash)?.bytes;
  }

  release(hash: Hash): void {
    const entry = this.#bytes.get(hash);
    if (entry !== undefined && --entry.holders === 0) this.#bytes.delete(hash);
  }

  /** Distinct blobs and their total bytes, for memory reports. */
  get size(): { readonly blobs: number; readonly bytes: number } {
    let bytes = 0;
    for (const entry of this.#bytes.values()) bytes += entry.bytes.byteLength;
    return { blobs: this.#bytes.size, bytes };
  }
}

export class MemoryStore implements RuntimeStore {
  readonly taskId: string;
  readonly dir: string;
  readonly #pool: BlobPool;
  readonly #held = new Set<Hash>();
  readonly #records = new Map<Hash, VersionRecord>();
  readonly #convictions: Conviction[] = [];
  #checkpoint: Checkpoint | undefined;

  constructor(pool: BlobPool, taskId: string, peer: string) {
    this.#pool = pool;
    this.taskId = taskId;
    this.dir = `memory:${peer}`;
  }

  /** Hashes this peer holds. */
  get held(): ReadonlySet<Hash> {
    return this.#held;
  }

  readonly blobs = {
    get: async (hash: Hash): Promise<Uint8Array | undefined> => (this.#held.has(hash) ? this.#pool.get(hash) : undefined),
    has: async (hash: Hash): Promise<boolean> => this.#held.has(hash),
    put: async (bytes: Uint8Array): Promise<Hash> => {
      const hash = this.#pool.hash(bytes);
      if (this.#held.has(hash)) return hash;
      if (!this.#pool.addExisting(hash)) this.#pool.add(bytes);
      this.#held.add(hash);
      return hash;
    },
  };

  /** Convictions outlive a simulated restart, as the on-disk store's do. */
  readonly convictions = {
    load: async (): Promise<readonly Conviction[]> => [...this.#convictions],
    add: async (conviction: Conviction): Promise<void> => {
      if (!this.#convictions.some((c) => c.peer === conviction.peer)) this.#convictions.push(conviction);
    },
  };

  readonly versions = {
    get: async (hash: Hash): Promise<VersionRecord | undefined> => this.#records.get(hash),
    record: async (version: VersionRecord): Promise<{ readonly created: boolean; readonly record: VersionRecord }> => {
      const existing = this.#records.get(version.hash);
      if (existing !== undefined) return { created: false, record: existing };
      this.#records.set(version.hash, version);
      return { created: true, record: version };
    },
  };

  readonly checkpoint = {
    load: async (): Promise<Checkpoint | undefined> => this.#checkpoint,
    save: async (checkpoint: Checkpoint): Promise<void> => {
      this.#checkpoint = checkpoint;
    },
    verify: async (): Promise<CheckpointVerification> => {
      const checkpoint = this.#checkpoint;
      const problems: string[] = [];
      if (checkpoint !== undefined && !this.#held.has(checkpoint.head)) problems.push(`the checkpoint's head ${checkpoint.head} is not held`);
      if (checkpoint !== undefined && !this.#records.has(checkpoint.head)) problems.push(`the checkpoint's head ${checkpoint.head} has no version record`);
      return { checkpoint, problems, ok: problems.length === 0 };
    },
  };

  /** Drops every blob but `keep` (the simulator keeps memory bounded between rounds). */
  prune(keep: ReadonlySet<Hash>): void {
    for (const hash of [...this.#held]) {
      if (keep.has(hash)) continue;
      this.#held.delete(hash);
      this.#pool.release(hash);
    }
  }

  /** A crash loses nothing on disk; a simulated crash that wipes the peer drops everything. */
  wipe(): void {
    this.prune(new Set());
    this.#records.clear();
    this.#checkpoint = undefined;
  }
}
