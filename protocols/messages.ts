/**
 * The messages gossipfl peers exchange, as TypeScript values. Their wire form (protobuf) is
 * in `protocols/adverts/`; this file is the one place their meaning is defined.
 *
 * Every blob (a model version, a delta) is addressed by its content: the lowercase hex
 * sha256 of its bytes. A version's bytes are its weights (plus any server-optimizer state)
 * in the GFLW f32 encoding (see docs/LEARNING.md), so the version hash is a content hash
 * of the weights. Delta blobs use the task's delta encoding.
 */

/** Lowercase hex sha256, 64 characters. */
export type Hash = string;

/** A peer id in its string (base58btc) form. */
export type PeerIdString = string;

export interface TrainMetrics {
  readonly loss: number;
  readonly accuracy: number;
}

/** "I trained round `round` from version `base`; my delta is blob `delta`." */
export interface DeltaAdvert {
  readonly kind: 'delta';
  readonly task: string;
  /** The round this delta is for: the version it produces will have this round number. */
  readonly round: number;
  /** The version trained from (round − 1). */
  readonly base: Hash;
  readonly delta: Hash;
  /** Size of the delta blob in bytes. */
  readonly bytes: number;
  /** Local samples, the aggregation weight. */
  readonly samples: number;
  readonly metrics: TrainMetrics;
  /** Sender's clock, Unix milliseconds; adverts far from the receiver's clock are stale. */
  readonly sentAt: number;
  /**
   * The trainer's Ed25519 signature over the delta statement (protocols/adverts/statements.ts):
   * filled in by the transport as it publishes; required on the wire.
   */
  readonly signature?: Uint8Array;
}

export interface Contributor {
  readonly peer: PeerIdString;
  readonly delta: Hash;
  readonly samples: number;
  /** The trainer's signature over its delta statement, copied from its delta advert; required on the wire. */
  readonly signature?: Uint8Array;
}

/** "Version `hash` (round `round`) was aggregated from `parent` with these contributions." */
export interface VersionAdvert {
  readonly kind: 'version';
  readonly task: string;
  readonly round: number;
  readonly hash: Hash;
  readonly parent: Hash;
  readonly bytes: number;
  /** Sorted by peer id. Empty only for a merge of two versions (see `merged`). */
  readonly contributors: readonly Contributor[];
  /** For a merge of same-round versions: the versions merged, sorted; else empty. */
  readonly merged: readonly Hash[];
  /** The curator's evaluation of the version on its own held-out validation data, if it has any. */
  readonly metrics?: ValidationMetrics;
  /**
   * The version's patch blob: version − parent in f16, from which a peer holding `parent`
   * rebuilds the version exactly. Absent for merges, versions with server state and f32-delta tasks.
   */
  readonly patch?: Hash;
  /**
   * The peer that aggregated the version; absent for merges. Re-publishers copy it, so it is not
   * the advert's sender: `signature` proves it.
   */
  readonly curator?: PeerIdString;
  /**
   * The curator's Ed25519 signature over the version statement (statements.ts); present iff
   * `curator` is on the wire. The curator's transport fills it in as it publishes.
   */
  readonly signature?: Uint8Array;
  readonly sentAt: number;
}

/** A version as its curator signed it: a version advert without what is not signed. */
export type VersionClaim = Omit<VersionAdvert, 'kind' | 'task' | 'metrics' | 'sentAt'>;

/**
 * "Version `version.hash` does not recompute": its listed contributions, aggregated onto its
 * parent with the task's strategy, give `recomputed`. Sent by the auditor that found it; any peer
 * checks it by recomputing (PROTOCOL §7.15).
 */
export interface FraudAdvert {
  readonly kind: 'fraud';
  readonly task: string;
  /** The round of the version accused. */
  readonly round: number;
  readonly version: VersionClaim;
  readonly recomputed: Hash;
  readonly sentAt: number;
}

export interface ValidationMetrics {
  readonly loss: number;
  readonly accuracy: number;
  /** Validation samples the metrics were measured on. */
  readonly samples: number;
}

/** Liveness and head: "I am here, on version `head` of round `round`." Sent periodically. */
export interface PresenceAdvert {
  readonly kind: 'presence';
  readonly task: string;
  readonly round: number;
  readonly head: Hash;
  /** Gossip mode: the model's age (samples it has been trained on); 0 in curator mode. */
  readonly age: number;
  readonly sentAt: number;
}

export type Advert = DeltaAdvert | VersionAdvert | PresenceAdvert | FraudAdvert;

/** An advert as received: the gossipsub-verified sender (StrictSign) and the message. */
export interface ReceivedAdvert {
  readonly from: PeerIdString;
  readonly advert: Advert;
}
