/**
 * Protocol-only peers: no model, no training, no data. Every blob is a 45-byte token that
 * stands for a delta or version of a declared size; the simulated network moves it as if it
 * had that size (transfer time, bandwidth, counters), so traffic, election and churn can be
 * studied with 10,000+ peers. Tokens are deterministic: a delta names its trainer, round and
 * base; a version names its base and the deltas (or leaves) it averages, so two curators that
 * aggregate different sets make different versions, as real ones do.
 *
 * Token layout: "GFSY" (4 bytes) · kind (1 byte: 1 version, 2 delta, 3 patch) · declared size
 * (uint32 BE) · sha256 of what the blob is made of (32 bytes) · round (uint32 BE). An aggregated
 * version's patch (half a version: f16) carries the version's digest, so applying it rebuilds the version.
 */
import { createHash } from 'node:crypto';
import { GossipflError } from '../../node/errors.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import type { SimLearning } from './learning.ts';

export class SyntheticBlobError extends GossipflError {
  override name = 'SyntheticBlobError';
}

const MAGIC = [0x47, 0x46, 0x53, 0x59]; // "GFSY"
const TOKEN_BYTES = 45;
const VERSION = 1;
const DELTA = 2;
const PATCH = 3;

export interface SyntheticLearningOptions {
  readonly peers: number;
  /** Size each delta stands for, bytes. */
  readonly deltaBytes: number;
  /** Size each version stands for, bytes. */
  readonly versionBytes: number;
  /** Samples each peer claims per round (sets its modelled training time and its averaging weight). */
  readonly samplesPerPeer: number;
}

function token(kind: number, size: number, round: number, ...parts: (string | Uint8Array)[]): Uint8Array {
  const digest = createHash('sha256').update(`${kind}/${size}/${round}\0`);
  for (const part of parts) digest.update(part).update('\0');
  const bytes = new Uint8Array(TOKEN_BYTES);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint8(4, kind);
  view.setUint32(5, size);
  bytes.set(digest.digest(), 9);
  view.setUint32(41, round);
  return bytes;
}

/** The same token as another kind and declared size (a version's patch, a patch's version). */
function recast(blob: Uint8Array, kind: number, size: number): Uint8Array {
  const bytes = blob.slice();
  const view = new DataView(bytes.buffer);
  view.setUint8(4, kind);
  view.setUint32(5, size);
  return bytes;
}

function read(blob: Uint8Array): { kind: number; size: number } {
  if (blob.byteLength !== TOKEN_BYTES || MAGIC.some((byte, i) => blob[i] !== byte)) {
    throw new SyntheticBlobError(`not a synthetic blob (${blob.byteLength} bytes, expected a ${TOKEN_BYTES}-byte GFSY token)`);
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return { kind: view.getUint8(4), size: view.getUint32(5) };
}

/** The size a synthetic blob stands for. */
export function syntheticWireSize(blob: Uint8Array): number {
  return read(blob).size;
}

function expectKind(blob: Uint8Array, kind: number, what: string): void {
  if (read(blob).kind !== kind) throw new SyntheticBlobError(`${what} is not a synthetic ${kind === VERSION ? 'version' : kind === DELTA ? 'delta' : 'patch'}`);
}

export function syntheticLearning(options: SyntheticLearningOptions): SimLearning {
  const { deltaBytes, versionBytes, samplesPerPeer } = options;
  for (const [name, value] of Object.entries({ deltaBytes, versionBytes, samplesPerPeer })) {
    if (!Number.isInteger(value) || value < 1 || value > 0xffff_ffff) throw new SyntheticBlobError(`${name} must be a whole number in [1, 2^32), got ${value}`);
  }
  const genesis = token(VERSION, versionBytes, 0, 'genesis');
  const learner = (peer: string): RuntimeLearner => ({
    genesisBlob: () => genesis,
    checkVersion: (blob) => expectKind(blob, VERSION, 'the version'),
    train: async (base, round) => {
      expectKind(base, VERSION, 'the base');
      return { blob: token(DELTA, deltaBytes, round, 'delta', peer, base), samples: samplesPerPeer, metrics: { loss: Number.NaN, accuracy: Number.NaN } };
    },
    trainModel: async (base, round) => {
      expectKind(base, VERSION, 'the base');
      return { blob: token(VERSION, versionBytes, round, 'trained', peer, base), samples: samplesPerPeer };
    },
    validate: async () => undefined,
    aggregate: (base, offered) => {
      expectKind(base, VERSION, 'the base');
      const accepted = [];
      const rejected = [];
      for (const delta of offered) {
        try {
          expectKind(delta.blob, DELTA, `the delta from ${delta.from}`);
          accepted.push(delta);
        } catch (error) {
          rejected.push({ from: delta.from, reason: (error as Error).message });
        }
      }
      if (accepted.length === 0) return { blob: new Uint8Array(), accepted, rejected };
      const parts = accepted.map((delta) => Buffer.from(delta.blob).toString('hex')).sort();
      const version = token(VERSION, versionBytes, 0, 'aggregate', base, ...parts);
      return { blob: version, patch: recast(version, PATCH, Math.ceil(versionBytes / 2)), accepted, rejected };
    },
    applyPatch: (base, patch) => {
      expectKind(base, VERSION, 'the base');
      expectKind(patch, PATCH, 'the patch');
      return recast(patch, VERSION, versionBytes);
    },
    merge: (leaves) => {
      for (const leaf of leaves) expectKind(leaf.blob, VERSION, 'a leaf');
      return token(VERSION, versionBytes, 0, 'merge', ...leaves.map((leaf) => Buffer.from(leaf.blob).toString('hex')).sort());
    },
  });
  return {
    learner: (_index, peer) => learner(peer),
    samples: () => samplesPerPeer,
    busy: false,
    idle: async () => {},
    // Nothing is learnt: accuracy is not a number; peers agree exactly when they hold one version.
    measure: async (heads) => ({
      accuracy: Number.NaN,
      loss: Number.NaN,
      peerAccuracy: { min: Number.NaN, mean: Number.NaN, max: Number.NaN },
      consensusDistance: new Set(heads).size <= 1 ? 0 : Number.NaN,
    }),
    wireSize: syntheticWireSize,
    dispose: () => {},
  };
}
