/**
 * What goes into the round engine (events) and what comes out (effects). The engine is a pure
 * state machine: it never does I/O, reads no clock and draws no random numbers; every event
 * carries the time it happened at. The runtime (a real peer or the simulator) carries out the
 * effects and feeds their results back as events.
 */
import type { Advert, Contributor, DeltaAdvert, Hash, PeerIdString, TrainMetrics, ValidationMetrics, VersionClaim } from '../../protocols/messages.ts';

/** The version a peer trains from and serves. */
export interface Head {
  readonly round: number;
  readonly hash: Hash;
  /** Undefined for round 0, and for a version adopted by catching up without its advert. */
  readonly parent: Hash | undefined;
  readonly contributors: readonly Contributor[];
  /** For a merge of same-round versions: the versions merged (sorted); else empty. */
  readonly merged: readonly Hash[];
  /** Who aggregated it: the advert's sender, or this peer. */
  readonly curator: PeerIdString | undefined;
  /** Size of the version blob; 0 when not known yet. */
  readonly bytes: number;
  /** The curator's validation metrics, when it published any. */
  readonly metrics?: ValidationMetrics;
  /** The version's patch blob (version − parent), when its curator made one. */
  readonly patch?: Hash;
  /** The curator's signature over the version statement, from its advert (our own versions are signed as they are published). */
  readonly signature?: Uint8Array;
}

/** A version's patch blob and the version it applies to (the version's parent). */
export interface VersionPatch {
  readonly hash: Hash;
  readonly base: Hash;
}

export type TimerName = 'presence' | 'curate' | 'gossip';

/** A delta to aggregate: its advert and the peers known to hold its blob (sender first). */
export interface DeltaOffer {
  readonly from: PeerIdString;
  readonly advert: DeltaAdvert;
  readonly holders: readonly PeerIdString[];
}

/** A same-round version to merge: its hash, its contributors' total samples and its holders. */
export interface MergeLeaf {
  readonly hash: Hash;
  readonly samples: number;
  readonly holders: readonly PeerIdString[];
}

/** A delta that was not aggregated: it could not be pulled, or was invalid. */
export interface RejectedDelta {
  readonly peer: PeerIdString;
  readonly delta: Hash;
  readonly reason: string;
}

/** A delta cut from an aggregation while still being pulled (a straggler); the pull goes on in the background. */
export interface LateDelta {
  readonly peer: PeerIdString;
  readonly delta: Hash;
  readonly reason: string;
}

/** A curated version to recompute (PROTOCOL §7.15): our own audit, or a fraud advert's accusation to check. */
export interface AuditCase {
  /** The version as its curator signed it. */
  readonly version: VersionClaim;
  /** The peers whose fraud adverts accuse it; empty for our own audit. */
  readonly accusers: readonly PeerIdString[];
  /** Peers to pull the parent and the listed deltas from (each delta's trainer is tried first). */
  readonly holders: readonly PeerIdString[];
}

export type EngineEvent =
  /** `convicted`: peers convicted by fraud proofs before a restart (kept by the store). */
  | { readonly type: 'start'; readonly now: number; readonly head: Head; readonly convicted?: readonly PeerIdString[] }
  | { readonly type: 'advert'; readonly now: number; readonly from: PeerIdString; readonly advert: Advert }
  | { readonly type: 'timer'; readonly now: number; readonly timer: TimerName }
  | {
      readonly type: 'trained';
      readonly now: number;
      readonly round: number;
      readonly base: Hash;
      readonly delta: Hash;
      readonly bytes: number;
      readonly samples: number;
      readonly metrics: TrainMetrics;
    }
  | { readonly type: 'train-failed'; readonly now: number; readonly round: number; readonly base: Hash; readonly reason: string }
  /** Gossip mode: the model trained from `base` is stored as version `version`. */
  | {
      readonly type: 'trained-model';
      readonly now: number;
      readonly round: number;
      readonly base: Hash;
      readonly version: Hash;
      readonly bytes: number;
      readonly samples: number;
    }
  | {
      readonly type: 'aggregated';
      readonly now: number;
      readonly round: number;
      readonly base: Hash;
      readonly version: Hash;
      readonly bytes: number;
      readonly contributors: readonly Contributor[];
      readonly rejected: readonly RejectedDelta[];
      /** Deltas cut as stragglers: each is reported again by a `late-delta` event when its pull ends. */
      readonly late: readonly LateDelta[];
      readonly metrics?: ValidationMetrics;
      /** The version's patch blob, when the learner made one. */
      readonly patch?: Hash;
    }
  /** No version was made; `rejected`: the deltas that could not be pulled or were invalid, if that is why. */
  | { readonly type: 'aggregate-failed'; readonly now: number; readonly round: number; readonly base: Hash; readonly reason: string; readonly rejected?: readonly RejectedDelta[] }
  /** The background pull of a delta cut as a straggler ended: it arrived (late), or failed (`failure` says why). */
  | { readonly type: 'late-delta'; readonly now: number; readonly round: number; readonly peer: PeerIdString; readonly delta: Hash; readonly failure?: string }
  | {
      readonly type: 'merged';
      readonly now: number;
      readonly round: number;
      readonly parent: Hash;
      readonly version: Hash;
      readonly bytes: number;
      readonly leaves: readonly Hash[];
    }
  | { readonly type: 'merge-failed'; readonly now: number; readonly round: number; readonly leaves: readonly Hash[]; readonly reason: string }
  /**
   * An audit ended: `recomputed` is the hash the listed contributions aggregate to on the parent;
   * `failure` says why it could not be recomputed (a blob could not be pulled).
   */
  | { readonly type: 'audited'; readonly now: number; readonly audit: AuditCase; readonly recomputed?: Hash; readonly failure?: string }
  /** The version blob `hash` is now held locally and decodes as the task's model. */
  | { readonly type: 'fetched'; readonly now: number; readonly hash: Hash }
  /** `invalid`: the blob was pulled (its hash matched) but is not a valid version of the task's model. */
  | { readonly type: 'fetch-failed'; readonly now: number; readonly hash: Hash; readonly reason: string; readonly invalid?: boolean };

export type Effect =
  | { readonly type: 'publish'; readonly advert: Advert }
  /** Train from version `base` (held locally), store the delta, report `trained`. */
  | { readonly type: 'train'; readonly round: number; readonly base: Hash }
  /** Gossip mode: train from version `base`, store the trained model as a version, report `trained-model`. */
  | { readonly type: 'train-model'; readonly round: number; readonly base: Hash }
  /**
   * Pull, validate and aggregate the deltas onto `base`, store the version, report `aggregated`.
   * Pulls still running `max(graceMs, 4 × the time half of them took)` after half are in are cut
   * as stragglers (node/peer/delta-pulls.ts).
   */
  | { readonly type: 'aggregate'; readonly round: number; readonly base: Hash; readonly deltas: readonly DeltaOffer[]; readonly graceMs: number }
  /** Pull the leaves, store their sample-weighted average, report `merged`. */
  | { readonly type: 'merge'; readonly round: number; readonly parent: Hash; readonly leaves: readonly MergeLeaf[] }
  /**
   * Get version blob `hash` from one of `holders` — rebuilt from `patch` when one is given and
   * its base is held locally, else pulled whole — and report `fetched` or `fetch-failed`.
   */
  | {
      readonly type: 'fetch-version';
      readonly hash: Hash;
      /** The round the version is advertised for: its blob must carry that round tag. */
      readonly round: number;
      readonly holders: readonly PeerIdString[];
      /** The size its advert gives; a holder announcing another size is not pulled from. */
      readonly bytes?: number;
      readonly patch?: VersionPatch;
    }
  /** Pull the parent and the listed deltas, aggregate them again, report `audited`. */
  | { readonly type: 'audit'; readonly audit: AuditCase }
  /** The peer moved to a new head: checkpoint it and record its provenance. */
  | { readonly type: 'adopt'; readonly head: Head }
  | { readonly type: 'set-timer'; readonly timer: TimerName; readonly delayMs: number }
  | { readonly type: 'cancel-timer'; readonly timer: TimerName }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  /** `peer` is proven dishonest (§7.15): record it, so that it stays convicted after a restart. */
  | { readonly type: 'convicted'; readonly peer: PeerIdString; readonly reason: string }
  /** The stopping rule's round limit is reached; the peer keeps serving but trains no more. */
  | { readonly type: 'finished'; readonly head: Head };
