/**
 * Version records: how each model version came to be (round, parent, contributions, merged
 * versions, metrics), one JSON file per version (`versions/<hash>.json`), written atomically and
 * validated on every read. `history` walks parent links from a head back to round 0.
 */
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Contributor, Hash } from '../../protocols/messages.ts';
import { assertHash, isHash, moveAside } from './blobs.ts';
import { StoreConflictError, StoreCorruptionError, StoreError } from './errors.ts';
import { errorCode, writeFileAtomic } from './fs.ts';

export interface VersionMetrics {
  readonly accuracy?: number;
  readonly loss?: number;
}

export interface VersionRecord {
  readonly round: number;
  /** The content hash of the version's blob. */
  readonly hash: Hash;
  /** The version it was aggregated from; "" only for a round-0 (initial) version. */
  readonly parent: Hash;
  /** Sorted by peer id. */
  readonly contributors: readonly RecordedContributor[];
  /** For a merge of same-round versions: the versions merged, sorted; else empty. */
  readonly merged: readonly Hash[];
  readonly metrics?: VersionMetrics;
  /** The peer id of the curator that produced it. */
  readonly curator?: string;
  /** The curator's signature over the version statement (PROTOCOL §5.9), lowercase hex. */
  readonly signature?: string;
  /** Unix milliseconds. */
  readonly createdAt: number;
}

/** A contribution as recorded: its trainer's signature, when known, as lowercase hex. */
export interface RecordedContributor extends Omit<Contributor, 'signature'> {
  readonly signature?: string;
}

/** Why a history walk stopped. */
export type HistoryEnd =
  /** Reached a round-0 version: the chain is complete. */
  | { readonly kind: 'genesis' }
  /** No record for `hash` (the parent of `neededBy`, or the head itself when neededBy is undefined). */
  | { readonly kind: 'missing'; readonly hash: Hash; readonly neededBy: Hash | undefined }
  /** `hash` was reached twice: the parent links form a cycle. */
  | { readonly kind: 'cycle'; readonly hash: Hash }
  /** `child`'s parent `hash` has a round that cannot precede it. */
  | { readonly kind: 'inconsistent'; readonly hash: Hash; readonly child: Hash; readonly problem: string }
  /** The requested number of versions was collected before round 0. */
  | { readonly kind: 'limit' };

/**
 * Where the chain has no record for a parent and the walk went on from the latest earlier record
 * held: the versions in between were never adopted here (the peer was not running, or caught up
 * past them).
 */
export interface HistoryGap {
  /** The record whose parent is missing, and that parent. */
  readonly child: Hash;
  readonly missing: Hash;
  /** The record the walk went on from (the highest round below the child's held here). */
  readonly resumesAt: Hash;
  /** Rounds with no version held here: `fromRound` … `toRound`. */
  readonly fromRound: number;
  readonly toRound: number;
}

export interface VersionHistory {
  /** Head first, then its parent, and so on (across gaps). */
  readonly versions: readonly VersionRecord[];
  readonly end: HistoryEnd;
  /** Where the walk went on past a missing parent, head side first. */
  readonly gaps: readonly HistoryGap[];
  /** True when the walk reached round 0 (`end.kind === 'genesis'`) with no gap. */
  readonly complete: boolean;
  /** True when the walk reached round 0, across gaps or not. */
  readonly reachesGenesis: boolean;
  /**
   * Records held that are not on the walk (versions of abandoned branches, merge leaves), round
   * descending; empty when a limit stopped the walk.
   */
  readonly offChain: readonly VersionRecord[];
}

export interface VersionStoreInit {
  /** `<task>/versions` */
  readonly dir: string;
  /** `<task>/corrupt`: corrupt records are moved here. */
  readonly corruptDir: string;
}

export class VersionStore {
  readonly dir: string;
  readonly corruptDir: string;

  constructor(init: VersionStoreInit) {
    this.dir = init.dir;
    this.corruptDir = init.corruptDir;
  }

  pathOf(hash: Hash): string {
    assertHash(hash, 'version hash');
    return join(this.dir, `${hash}.json`);
  }

  /**
   * Stores a version record. A record already stored for the same hash is kept: resolves
   * `created: false` when it describes the same version (round, parent, contributors, merged),
   * throws StoreConflictError when it describes a different one. Throws StoreError for an
   * invalid record.
   */
  async record(version: VersionRecord): Promise<{ readonly created: boolean; readonly record: VersionRecord }> {
    const problems = versionProblems(version);
    if (problems.length > 0) throw new StoreError(`invalid version record: ${problems.join('; ')}`);
    const normalized = normalize(version);
    const existing = await this.get(version.hash);
    if (existing !== undefined) {
      if (identityOf(existing) !== identityOf(normalized)) {
        throw new StoreConflictError(
          `version ${version.hash} is already recorded with a different history (${this.pathOf(version.hash)}); ` +
            'the existing record was kept',
        );
      }
      return { created: false, record: existing };
    }
    await writeFileAtomic(this.pathOf(version.hash), `${JSON.stringify(normalized, null, 2)}\n`);
    return { created: true, record: normalized };
  }

  /**
   * The record for `hash`, or undefined. A record that is not valid JSON or not a valid version
   * record for this hash is moved aside to `corrupt/` and reported with StoreCorruptionError.
   */
  async get(hash: Hash): Promise<VersionRecord | undefined> {
    const path = this.pathOf(hash);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    let problem: string | undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problem = `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
    }
    if (problem === undefined) {
      const problems = versionProblems(value);
      if (problems.length === 0 && (value as VersionRecord).hash !== hash) problems.push(`its hash field is ${(value as VersionRecord).hash}, not the file name`);
      if (problems.length > 0) problem = `not a valid version record: ${problems.join('; ')}`;
    }
    if (problem !== undefined) {
      const movedTo = await moveAside(path, this.corruptDir, `version-${hash}.json`);
      throw new StoreCorruptionError(path, problem, movedTo);
    }
    return normalize(value as VersionRecord);
  }

  async has(hash: Hash): Promise<boolean> {
    try {
      return (await stat(this.pathOf(hash))).isFile();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** Removes a record; resolves false when there was none. */
  async delete(hash: Hash): Promise<boolean> {
    try {
      await rm(this.pathOf(hash));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** The hashes of every stored record, sorted. */
  async list(): Promise<Hash[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith('.json') && isHash(name.slice(0, -5)))
      .map((name) => name.slice(0, -5))
      .sort();
  }

  /**
   * Walks parent links from `head` towards round 0, collecting at most `limit` records (all when
   * undefined). Where a parent has no record, goes on from the record of the highest round below
   * the child's (a gap: versions this peer never adopted) and notes it in `gaps`. Stops at round 0,
   * at a missing record with none earlier, at a cycle, or at a parent whose round cannot precede
   * its child, and says which in `end`. A corrupt record throws StoreCorruptionError.
   */
  async history(head: Hash, limit?: number): Promise<VersionHistory> {
    assertHash(head, 'head');
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new StoreError(`history limit must be a non-negative integer, got ${limit}`);
    }
    const versions: VersionRecord[] = [];
    const gaps: HistoryGap[] = [];
    const seen = new Set<Hash>();
    let held: VersionRecord[] | undefined; // every record, read at the first gap
    const allHeld = async () => (held ??= await this.#all());
    let hash = head;
    let child: VersionRecord | undefined;
    const finish = async (end: HistoryEnd): Promise<VersionHistory> => {
      const reachesGenesis = end.kind === 'genesis';
      const offChain = end.kind === 'limit' ? [] : (await allHeld()).filter((r) => !seen.has(r.hash));
      return { versions, end, gaps, complete: reachesGenesis && gaps.length === 0, reachesGenesis, offChain };
    };
    for (;;) {
      if (limit !== undefined && versions.length >= limit) return finish({ kind: 'limit' });
      if (seen.has(hash)) return finish({ kind: 'cycle', hash });
      seen.add(hash);
      let record = await this.get(hash);
      if (record === undefined && child !== undefined) {
        const below = child.round;
        const earlier = (await allHeld()).find((r) => r.round < below && !seen.has(r.hash));
        if (earlier !== undefined) {
          gaps.push({ child: child.hash, missing: hash, resumesAt: earlier.hash, fromRound: earlier.round + 1, toRound: child.round - 1 });
          seen.add(earlier.hash);
          record = earlier;
        }
      }
      if (record === undefined) return finish({ kind: 'missing', hash, neededBy: child?.hash });
      if (child !== undefined) {
        const precedes = record.round < child.round || (record.round === child.round && child.merged.length > 0);
        if (!precedes) {
          return finish({
            kind: 'inconsistent',
            hash,
            child: child.hash,
            problem: `parent round ${record.round} does not precede child round ${child.round}`,
          });
        }
      }
      versions.push(record);
      if (record.round === 0) return finish({ kind: 'genesis' });
      child = record;
      hash = record.parent;
    }
  }

  /** Every record held, round descending (then by hash). */
  async #all(): Promise<VersionRecord[]> {
    const records: VersionRecord[] = [];
    for (const hash of await this.list()) {
      const record = await this.get(hash);
      if (record !== undefined) records.push(record);
    }
    return records.sort((a, b) => b.round - a.round || (a.hash < b.hash ? -1 : 1));
  }
}

/** Every problem with `value` as a version record (empty when valid). */
export function versionProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be an object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const round = v['round'];
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0) problems.push(`round must be a non-negative integer, got ${show(round)}`);
  if (!isHash(v['hash'])) problems.push(`hash must be 64 lowercase hex characters, got ${show(v['hash'])}`);
  const parent = v['parent'];
  if (!(isHash(parent) || (parent === '' && round === 0))) {
    problems.push(`parent must be 64 lowercase hex characters (or "" at round 0), got ${show(parent)}`);
  }
  if (isHash(parent) && parent === v['hash']) problems.push('parent must differ from hash');
  const contributors = v['contributors'];
  if (!Array.isArray(contributors)) {
    problems.push('contributors must be an array');
  } else {
    contributors.forEach((c: unknown, i) => {
      if (typeof c !== 'object' || c === null) return problems.push(`contributors[${i}] must be an object`);
      const r = c as Record<string, unknown>;
      if (typeof r['peer'] !== 'string' || r['peer'] === '') problems.push(`contributors[${i}].peer must be a non-empty string`);
      if (!isHash(r['delta'])) problems.push(`contributors[${i}].delta must be 64 lowercase hex characters, got ${show(r['delta'])}`);
      const samples = r['samples'];
      if (typeof samples !== 'number' || !Number.isFinite(samples) || samples < 0) problems.push(`contributors[${i}].samples must be a non-negative number, got ${show(samples)}`);
      if (r['signature'] !== undefined && !isSignature(r['signature'])) problems.push(`contributors[${i}].signature must be 128 lowercase hex characters, got ${show(r['signature'])}`);
      return undefined;
    });
  }
  const merged = v['merged'];
  if (!Array.isArray(merged)) problems.push('merged must be an array');
  else merged.forEach((m: unknown, i) => {
    if (!isHash(m)) problems.push(`merged[${i}] must be 64 lowercase hex characters, got ${show(m)}`);
  });
  const metrics = v['metrics'];
  if (metrics !== undefined) {
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) problems.push('metrics must be an object');
    else for (const key of ['accuracy', 'loss']) {
      const m = (metrics as Record<string, unknown>)[key];
      if (m !== undefined && (typeof m !== 'number' || !Number.isFinite(m))) problems.push(`metrics.${key} must be a finite number, got ${show(m)}`);
    }
  }
  if (v['curator'] !== undefined && typeof v['curator'] !== 'string') problems.push(`curator must be a string, got ${show(v['curator'])}`);
  if (v['signature'] !== undefined && !isSignature(v['signature'])) problems.push(`signature must be 128 lowercase hex characters, got ${show(v['signature'])}`);
  const createdAt = v['createdAt'];
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) problems.push(`createdAt must be a number (Unix ms), got ${show(createdAt)}`);
  return problems;
}

/** A copy with only the known fields, in a fixed order. */
function normalize(v: VersionRecord): VersionRecord {
  const out: { -readonly [K in keyof VersionRecord]: VersionRecord[K] } = {
    round: v.round,
    hash: v.hash,
    parent: v.parent,
    contributors: v.contributors.map((c) => ({ peer: c.peer, delta: c.delta, samples: c.samples, ...(c.signature === undefined ? {} : { signature: c.signature }) })),
    merged: [...v.merged],
    createdAt: v.createdAt,
  };
  if (v.metrics !== undefined) {
    const metrics: { accuracy?: number; loss?: number } = {};
    if (v.metrics.accuracy !== undefined) metrics.accuracy = v.metrics.accuracy;
    if (v.metrics.loss !== undefined) metrics.loss = v.metrics.loss;
    out.metrics = metrics;
  }
  if (v.curator !== undefined) out.curator = v.curator;
  if (v.signature !== undefined) out.signature = v.signature;
  return out;
}

const isSignature = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{128}$/.test(value);

/** The fields that define which version a record describes (not when or by whom it was noted). */
function identityOf(v: VersionRecord): string {
  return JSON.stringify([v.round, v.hash, v.parent, v.contributors.map((c) => [c.peer, c.delta, c.samples]), v.merged]);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
