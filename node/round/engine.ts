/**
 * The round engine in curator mode: a pure state machine (see events.ts). One instance per
 * peer per task. Rules (docs/PROTOCOL.md, "Rounds"):
 *
 * - Round R trains from head version R−1. Cohort members (election.ts) train and advertise deltas.
 * - Curation slots: slot k opens at T_k = roundStart + collectionWindow + k·curatorDeadline and
 *   belongs to ranking[k] (the curator ranking over peers live at round start). The slot owner
 *   aggregates once it holds at least one delta; the curator (k = 0) closes early when every
 *   expected cohort member's delta is in. A version for R seen by then cancels the slot.
 * - A version for R whose parent is the head is pulled and adopted; a version from a later
 *   round is pulled and adopted (catching up). Two versions for one round with one parent are
 *   merged into their sample-weighted average; every peer computes the same merge.
 * - Deltas based on the head or on any version merged into it count for the next round, so a
 *   merge loses no work. A delta that arrives too late is logged, never dropped silently.
 */
import type { Advert, Contributor, DeltaAdvert, Hash, PeerIdString, VersionAdvert } from '../../protocols/messages.ts';
import { RoundElection } from './election.ts';
import type { DeltaOffer, Effect, EngineEvent, Head, MergeLeaf } from './events.ts';

export interface EngineConfig {
  readonly self: PeerIdString;
  readonly task: string;
  /** Share of live peers training each round (independent draw per peer). */
  readonly cohortFraction: number;
  /** How long after a round starts the curator collects deltas. */
  readonly collectionWindowMs: number;
  /** How long each standby waits after the previous slot before taking over. */
  readonly curatorDeadlineMs: number;
  readonly presenceIntervalMs: number;
  /** A peer not heard from for this long is not live: not ranked, not expected. */
  readonly peerTimeoutMs: number;
  /** The curator closes collection early only when at least this many live peers are expected. */
  readonly minPeers: number;
  /** Stop training after this round's version (inclusive). */
  readonly maxRounds?: number;
  /** Stop training once a version's published validation accuracy reaches this. */
  readonly targetAccuracy?: number;
}

interface KnownVersion {
  readonly advert: VersionAdvert;
  readonly from: PeerIdString;
}

/** An open delta is announced again after this many presence intervals without a version. */
const REANNOUNCE_AFTER_INTERVALS = 3;

const samplesOf = (contributors: readonly Contributor[]) => contributors.reduce((sum, c) => sum + c.samples, 0);

export class RoundEngine {
  readonly config: EngineConfig;
  #head: Head | undefined;
  #roundStartedAt = 0;
  /** When this engine started: its view of who is live is incomplete for a presence interval. */
  #startedAt = 0;
  #training = false;
  #curating = false;
  #merging = false;
  #finished = false;
  readonly #lastSeen = new Map<PeerIdString, number>();
  /** The round each peer last announced, and when we heard it. */
  readonly #peerRound = new Map<PeerIdString, { readonly round: number; readonly at: number }>();
  readonly #holders = new Map<Hash, Set<PeerIdString>>();
  readonly #versions = new Map<Hash, KnownVersion>();
  /** Deltas for the round after the head, by sender. */
  #deltas = new Map<PeerIdString, DeltaAdvert>();
  /** Deltas for the round after that (from peers that adopted the next version before us). */
  #early = new Map<PeerIdString, DeltaAdvert>();
  /** Versions being pulled, and what adopting each would make the head. */
  readonly #fetching = new Map<Hash, Head>();
  /** "theirHead>ourHead" pairs we re-published our head's advert for. */
  readonly #republishedFor = new Set<string>();
  #election: RoundElection | undefined;
  /** Bumped whenever a peer that was not live is heard from (the live set grew). */
  #liveEpoch = 0;
  /** Our curator rank, valid while the election and live set are unchanged and no live peer can have timed out. */
  #rankCache: { readonly election: RoundElection; readonly liveEpoch: number; readonly validUntil: number; readonly rank: number } | undefined;
  /** A live peer that ranks before us in the current election (so we are not its curator). */
  #outranked: { readonly election: RoundElection; readonly by: PeerIdString } | undefined;

  constructor(config: EngineConfig) {
    this.config = config;
  }

  get head(): Head | undefined {
    return this.#head;
  }

  /** The round being trained and curated now (head round + 1). */
  get round(): number {
    return (this.#head?.round ?? -1) + 1;
  }

  /** The election of the current round (head round + 1, from the head). */
  #currentElection(): RoundElection {
    const head = this.#head!;
    const election = this.#election;
    if (election !== undefined && election.round === head.round + 1 && election.base === head.hash) return election;
    return (this.#election = new RoundElection(head.round + 1, head.hash, this.config.cohortFraction));
  }

  #isLive(peer: PeerIdString, now: number): boolean {
    const seen = this.#lastSeen.get(peer);
    return seen !== undefined && now - seen <= this.config.peerTimeoutMs;
  }

  /**
   * Whether we rank first among the peers live now. Stops at the first live peer that outranks
   * us and remembers it, so on average a peer compares itself with a handful of others.
   */
  #isCurator(now: number): boolean {
    const election = this.#currentElection();
    const outranked = this.#outranked;
    if (outranked !== undefined && outranked.election === election && this.#isLive(outranked.by, now)) return false;
    const { self, peerTimeoutMs } = this.config;
    for (const [peer, seen] of this.#lastSeen) {
      if (peer !== self && now - seen <= peerTimeoutMs && election.ranksBefore(peer, self)) {
        this.#outranked = { election, by: peer };
        return false;
      }
    }
    return true;
  }

  /** Our place in the current round's curator ranking over the peers live now (0: curator). */
  #rank(now: number): number {
    const election = this.#currentElection();
    const cached = this.#rankCache;
    if (cached !== undefined && cached.election === election && cached.liveEpoch === this.#liveEpoch && now <= cached.validUntil) return cached.rank;
    const { self, peerTimeoutMs } = this.config;
    let rank = 0;
    let validUntil = Infinity;
    for (const [peer, seen] of this.#lastSeen) {
      if (peer === self || now - seen > peerTimeoutMs) continue;
      validUntil = Math.min(validUntil, seen + peerTimeoutMs);
      if (election.ranksBefore(peer, self)) rank++;
    }
    this.#rankCache = { election, liveEpoch: this.#liveEpoch, validUntil, rank };
    return rank;
  }

  /**
   * Live peers expected to train the current round: in its cohort, and not known to be more than
   * one round behind (one round behind, a peer has just not seen the new version yet; further
   * behind, it is catching up and will not deliver in time). Only a round announced since this
   * round began tells: an older announcement predates the versions everyone has adopted since,
   * and when rounds are shorter than the presence interval it is many rounds old.
   */
  expected(now: number): PeerIdString[] {
    const head = this.#head;
    if (head === undefined) return [];
    const election = this.#currentElection();
    const behind = (peer: PeerIdString) => {
      const announced = this.#peerRound.get(peer);
      return announced !== undefined && announced.at >= this.#roundStartedAt && announced.round < head.round - 1;
    };
    return this.livePeers(now).filter((peer) => election.inCohort(peer) && !behind(peer));
  }

  /** Peers heard from within the peer timeout, this one included. */
  livePeers(now: number): PeerIdString[] {
    const live = [this.config.self];
    for (const [peer, seen] of this.#lastSeen) if (now - seen <= this.config.peerTimeoutMs) live.push(peer);
    return live;
  }

  handle(event: EngineEvent): Effect[] {
    const effects: Effect[] = [];
    switch (event.type) {
      case 'start':
        this.#startedAt = event.now;
        effects.push({ type: 'set-timer', timer: 'presence', delayMs: 0 });
        this.#adopt(event.head, event.now, effects, false);
        break;
      case 'advert':
        this.#onAdvert(event.from, event.advert, event.now, effects);
        break;
      case 'timer':
        if (event.timer === 'presence') this.#onPresenceTimer(event.now, effects);
        else this.#onCurateTimer(event.now, effects);
        break;
      case 'trained':
        this.#onTrained(event, effects);
        break;
      case 'trained-model':
        effects.push({ type: 'log', level: 'warn', message: 'a gossip-mode training result reached a curator-mode engine; ignored' });
        break;
      case 'train-failed':
        this.#training = false;
        effects.push({ type: 'log', level: 'warn', message: `training for round ${event.round} failed: ${event.reason}` });
        break;
      case 'aggregated':
        this.#onAggregated(event, effects);
        break;
      case 'aggregate-failed':
        this.#curating = false;
        effects.push({ type: 'log', level: 'warn', message: `aggregating round ${event.round} failed (${event.reason}); the next standby takes over` });
        break;
      case 'merged':
        this.#onMerged(event, effects);
        break;
      case 'merge-failed':
        this.#merging = false;
        effects.push({ type: 'log', level: 'warn', message: `merging round ${event.round} versions ${event.leaves.join(', ')} failed: ${event.reason}` });
        break;
      case 'fetched':
        this.#onFetched(event.hash, event.now, effects);
        break;
      case 'fetch-failed':
        this.#fetching.delete(event.hash);
        effects.push({ type: 'log', level: 'warn', message: `could not pull version ${event.hash.slice(0, 12)}: ${event.reason}` });
        this.#maybeCurate(event.now, effects); // it may have been held back by that pull
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown engine event ${JSON.stringify(unknown)}`);
      }
    }
    return effects;
  }

  #addHolder(hash: Hash, peer: PeerIdString): void {
    let holders = this.#holders.get(hash);
    if (holders === undefined) this.#holders.set(hash, (holders = new Set()));
    holders.add(peer);
  }

  #holdersOf(hash: Hash, first?: PeerIdString): PeerIdString[] {
    const holders = [...(this.#holders.get(hash) ?? [])].filter((peer) => peer !== this.config.self);
    if (first !== undefined && first !== this.config.self) return [first, ...holders.filter((peer) => peer !== first)];
    return holders;
  }

  /** Bases a delta for the next round may have: the head, or any version merged into it. */
  #acceptsBase(base: Hash): boolean {
    return base === this.#head?.hash || (this.#head?.merged.includes(base) ?? false);
  }

  #adopt(head: Head, now: number, effects: Effect[], announce: boolean): void {
    const previous = this.#head;
    this.#head = head;
    this.#versions.delete(head.hash);
    this.#addHolder(head.hash, this.config.self);
    if (announce) effects.push({ type: 'adopt', head });
    const sameRoundMerge = previous !== undefined && head.merged.length > 0 && previous.round === head.round;
    if (sameRoundMerge) {
      // Deltas trained from a merged leaf stay valid: keep collecting, keep any training in flight.
      return;
    }
    this.#startRound(now, effects);
  }

  /**
   * Drops what no longer matters once a new round starts — versions of earlier rounds, holders of
   * blobs we will not pull, republish marks for older heads — so a long-running peer's memory
   * does not grow with every delta it ever heard of.
   */
  #forgetOldRounds(): void {
    const head = this.#head!;
    for (const [hash, { advert }] of this.#versions) if (advert.round < head.round) this.#versions.delete(hash);
    const wanted = new Set<Hash>([head.hash, ...head.merged, ...this.#versions.keys(), ...this.#fetching.keys()]);
    for (const advert of this.#deltas.values()) wanted.add(advert.delta);
    for (const hash of this.#holders.keys()) if (!wanted.has(hash)) this.#holders.delete(hash);
    this.#republishedFor.clear();
  }

  #startRound(now: number, effects: Effect[]): void {
    const head = this.#head!;
    const round = head.round + 1;
    const carried = [...this.#deltas, ...this.#early].filter(([, advert]) => advert.round === round && this.#acceptsBase(advert.base));
    this.#deltas = new Map(carried);
    this.#early = new Map();
    this.#forgetOldRounds();
    this.#curating = false;
    this.#roundStartedAt = now;
    effects.push({ type: 'cancel-timer', timer: 'curate' });
    const target = this.config.targetAccuracy;
    const reachedTarget = target !== undefined && head.metrics !== undefined && head.metrics.accuracy >= target;
    if ((this.config.maxRounds !== undefined && head.round >= this.config.maxRounds) || reachedTarget) {
      if (!this.#finished) effects.push({ type: 'finished', head });
      this.#finished = true;
      return;
    }
    if (this.#currentElection().inCohort(this.config.self) && !this.#training) {
      this.#training = true;
      effects.push({ type: 'train', round, base: head.hash });
    }
    effects.push({ type: 'set-timer', timer: 'curate', delayMs: this.config.collectionWindowMs });
  }

  /** When curation slot `rank` opens in the current round. */
  #slotOpensAt(rank: number): number {
    return this.#roundStartedAt + this.config.collectionWindowMs + rank * this.config.curatorDeadlineMs;
  }

  #onPresenceTimer(now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head !== undefined) {
      effects.push({ type: 'publish', advert: { kind: 'presence', task: this.config.task, round: head.round, head: head.hash, age: 0, sentAt: now } });
      // Adverts are not stored by the network: announce our open delta again, for peers that
      // joined, reconnected or were not subscribed yet when it was first published.
      const ours = this.#deltas.get(this.config.self);
      if (ours !== undefined && !this.#curating && now - ours.sentAt >= REANNOUNCE_AFTER_INTERVALS * this.config.presenceIntervalMs) {
        const again: DeltaAdvert = { ...ours, sentAt: now };
        this.#deltas.set(this.config.self, again);
        effects.push({ type: 'publish', advert: again });
      }
    }
    for (const [peer, seen] of this.#lastSeen) if (now - seen > this.config.peerTimeoutMs * 4) this.#lastSeen.delete(peer);
    // Our view of who is live completes one interval after start: every delta may be in by now.
    if (head !== undefined) this.#maybeCurate(now, effects);
    effects.push({ type: 'set-timer', timer: 'presence', delayMs: this.config.presenceIntervalMs });
  }

  /** Aggregates now if this peer may: its slot is open (or it curates and every delta is in) and it holds a delta. */
  #maybeCurate(now: number, effects: Effect[]): void {
    if (this.#curating || this.#finished || this.#deltas.size === 0) return;
    // A version of this round or a later one is on its way: aggregating would fork the chain
    // (a peer restarted from an old checkpoint made its own version before catching up).
    const head = this.#head!;
    if (this.#pullingRound(head.round + 1)) return;
    // Before the first standby slot opens only the curator may act; the full rank is needed after.
    const curator = this.#isCurator(now);
    if (!curator && now < this.#slotOpensAt(1)) return;
    const rank = curator ? 0 : this.#rank(now);
    if (now < this.#slotOpensAt(rank) && rank !== 0) return;
    const expected = this.expected(now);
    // A peer that has just (re)started has not yet heard every live peer announce itself: its
    // expected set may be a handful, so it must not close early on it.
    const viewComplete = now - this.#startedAt >= this.config.presenceIntervalMs;
    const allIn = viewComplete && expected.length >= this.config.minPeers && expected.every((peer) => this.#deltas.has(peer));
    if (now < this.#slotOpensAt(rank) && !allIn) return;
    this.#curating = true;
    const deltas: DeltaOffer[] = [...this.#deltas]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([from, advert]) => ({ from, advert, holders: this.#holdersOf(advert.delta, from) }));
    const role = rank === 0 ? 'curator' : `standby ${rank}`;
    effects.push({ type: 'log', level: 'info', message: `round ${this.round}: aggregating ${deltas.length} of ${expected.length} expected deltas as ${role}` });
    effects.push({ type: 'aggregate', round: head.round + 1, base: head.hash, deltas });
  }

  /** Fires when the collection window closes, then every curator deadline, until the round ends. */
  #onCurateTimer(now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined || this.#finished) return;
    this.#maybeCurate(now, effects);
    if (this.#deltas.size === 0 && !this.#training && !this.#curating && now >= this.#slotOpensAt(this.#isCurator(now) ? 0 : this.#rank(now))) {
      // Our slot is open and nobody trained (the cohort draw can come out empty): train
      // ourselves, so that the round still gets a delta and ends.
      this.#training = true;
      effects.push({ type: 'log', level: 'info', message: `round ${this.round}: no delta by our slot; training one ourselves` });
      effects.push({ type: 'train', round: this.round, base: head.hash });
    }
    effects.push({ type: 'set-timer', timer: 'curate', delayMs: this.config.curatorDeadlineMs });
  }

  /** Whether a version of round `atLeast` or later is being pulled. */
  #pullingRound(atLeast: number): boolean {
    for (const pending of this.#fetching.values()) if (pending.round >= atLeast) return true;
    return false;
  }

  /** A delta or version advert shows its sender at `round` at least. */
  #announced(peer: PeerIdString, round: number, now: number): void {
    const known = this.#peerRound.get(peer);
    this.#peerRound.set(peer, { round: Math.max(known?.round ?? 0, round), at: now });
  }

  #onAdvert(from: PeerIdString, advert: Advert, now: number, effects: Effect[]): void {
    if (advert.task !== this.config.task) return;
    const seen = this.#lastSeen.get(from);
    if (seen === undefined || now - seen > this.config.peerTimeoutMs) this.#liveEpoch++;
    this.#lastSeen.set(from, now);
    switch (advert.kind) {
      case 'presence':
        this.#peerRound.set(from, { round: advert.round, at: now });
        this.#addHolder(advert.head, from);
        this.#onPresence(from, advert.round, advert.head, now, effects);
        break;
      case 'delta':
        this.#announced(from, advert.round - 1, now);
        this.#addHolder(advert.delta, from);
        this.#onDelta(from, advert, now, effects);
        break;
      case 'version':
        this.#announced(from, advert.round, now);
        this.#addHolder(advert.hash, from);
        this.#onVersion(from, advert, now, effects);
        break;
      default: {
        const unknown: never = advert;
        throw new Error(`unknown advert ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The head as a version advert, to (re)publish; undefined for round 0 or unknown provenance. */
  #versionAdvert(head: Head, now: number): VersionAdvert | undefined {
    if (head.parent === undefined) return undefined;
    return {
      kind: 'version',
      task: this.config.task,
      round: head.round,
      hash: head.hash,
      parent: head.parent,
      bytes: head.bytes,
      contributors: head.contributors,
      merged: head.merged,
      ...(head.metrics === undefined ? {} : { metrics: head.metrics }),
      ...(head.patch === undefined ? {} : { patch: head.patch }),
      sentAt: now,
    };
  }

  #onPresence(from: PeerIdString, round: number, hash: Hash, now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined || hash === head.hash || head.merged.includes(hash)) return;
    if (round <= head.round) {
      // The peer is behind or on a sibling branch (a partition healed?) and may have missed our
      // head's advert while cut off: publish it again, once per head of theirs.
      const key = `${hash}>${head.hash}`;
      const advert = this.#versionAdvert(head, now);
      if (advert !== undefined && !this.#republishedFor.has(key)) {
        this.#republishedFor.add(key);
        effects.push({ type: 'publish', advert });
      }
      return;
    }
    if (this.#fetching.has(hash)) return;
    if (this.#pullingRound(round)) return;
    // A peer is ahead of us and we missed the version advert: pull its head to catch up.
    this.#fetching.set(hash, { round, hash, parent: undefined, contributors: [], merged: [], curator: undefined, bytes: 0 });
    effects.push({ type: 'log', level: 'info', message: `catching up: ${from} is at round ${round}, we are at ${head.round}` });
    effects.push({ type: 'fetch-version', hash, round, holders: this.#holdersOf(hash, from) });
  }

  #onDelta(from: PeerIdString, advert: DeltaAdvert, now: number, effects: Effect[]): void {
    if (advert.round === this.round + 1) {
      this.#early.set(from, advert);
      return;
    }
    if (advert.round !== this.round || !this.#acceptsBase(advert.base)) return;
    if (this.#deltas.get(from)?.delta === advert.delta) return; // the same delta announced again
    if (this.#curating) {
      effects.push({ type: 'log', level: 'info', message: `round ${advert.round}: delta from ${from} arrived after aggregation began; it misses this round` });
    }
    this.#deltas.set(from, advert);
    this.#maybeCurate(now, effects);
  }

  #onVersion(from: PeerIdString, advert: VersionAdvert, now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined) return;
    const asHead: Head = {
      round: advert.round,
      hash: advert.hash,
      parent: advert.parent,
      contributors: advert.contributors,
      merged: advert.merged,
      curator: from,
      bytes: advert.bytes,
      ...(advert.metrics === undefined ? {} : { metrics: advert.metrics }),
      ...(advert.patch === undefined ? {} : { patch: advert.patch }),
    };
    if (advert.hash === head.hash && head.parent === undefined) {
      // We caught up to this version without its advert: now we know where it came from.
      this.#head = asHead;
      effects.push({ type: 'adopt', head: asHead });
      return;
    }
    if (advert.hash === head.hash || head.merged.includes(advert.hash)) return;
    this.#versions.set(advert.hash, { advert, from });
    if (advert.round > head.round) {
      if (this.#fetching.has(advert.hash)) {
        this.#fetching.set(advert.hash, asHead); // now with its provenance
        return;
      }
      if (this.#pullingRound(advert.round + 1)) return;
      this.#fetching.set(advert.hash, asHead);
      const patch = advert.patch === undefined ? {} : { patch: { hash: advert.patch, base: advert.parent } };
      effects.push({ type: 'fetch-version', hash: advert.hash, round: advert.round, holders: this.#holdersOf(advert.hash, from), ...patch });
      return;
    }
    if (advert.round !== head.round || advert.parent !== head.parent) return;
    if (advert.merged.length === 0) {
      this.#mergeSiblings(advert.round, advert.parent, effects);
      return;
    }
    // Another peer's merge of our round: pull it if it covers every version we hold of the round.
    const ourLeaves = head.merged.length > 0 ? head.merged : [head.hash];
    if (ourLeaves.every((leaf) => advert.merged.includes(leaf)) && !this.#fetching.has(advert.hash)) {
      this.#fetching.set(advert.hash, asHead);
      effects.push({ type: 'fetch-version', hash: advert.hash, round: advert.round, holders: this.#holdersOf(advert.hash, from) });
    }
  }

  /** All known versions of the head's round with the head's parent, as merge leaves. */
  #mergeSiblings(round: number, parent: Hash, effects: Effect[]): void {
    const head = this.#head!;
    const leaves = new Map<Hash, MergeLeaf>();
    const addLeaf = (hash: Hash, contributors: readonly Contributor[]) =>
      leaves.set(hash, { hash, samples: samplesOf(contributors), holders: [...(this.#holders.get(hash) ?? [])] });
    if (head.merged.length === 0) addLeaf(head.hash, head.contributors);
    for (const leaf of head.merged) {
      const known = this.#versions.get(leaf);
      if (known !== undefined) addLeaf(leaf, known.advert.contributors);
    }
    for (const { advert } of this.#versions.values()) {
      if (advert.round === round && advert.parent === parent && advert.merged.length === 0) addLeaf(advert.hash, advert.contributors);
    }
    const sorted = [...leaves.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
    if (sorted.length < 2 || this.#merging) return;
    this.#merging = true;
    effects.push({ type: 'log', level: 'warn', message: `round ${round} has ${sorted.length} versions with one parent (a partition healed?): merging them` });
    effects.push({ type: 'merge', round, parent, leaves: sorted });
  }

  #onTrained(event: Extract<EngineEvent, { type: 'trained' }>, effects: Effect[]): void {
    this.#training = false;
    this.#addHolder(event.delta, this.config.self);
    if (event.round !== this.round || !this.#acceptsBase(event.base)) {
      effects.push({ type: 'log', level: 'warn', message: `our delta for round ${event.round} was ready after that round closed; it is not used` });
      const head = this.#head;
      if (head !== undefined && !this.#finished && this.#currentElection().inCohort(this.config.self)) {
        this.#training = true;
        effects.push({ type: 'train', round: this.round, base: head.hash });
      }
      return;
    }
    const advert: DeltaAdvert = {
      kind: 'delta',
      task: this.config.task,
      round: event.round,
      base: event.base,
      delta: event.delta,
      bytes: event.bytes,
      samples: event.samples,
      metrics: event.metrics,
      sentAt: event.now,
    };
    effects.push({ type: 'publish', advert });
    this.#deltas.set(this.config.self, advert);
    this.#maybeCurate(event.now, effects);
  }

  #onAggregated(event: Extract<EngineEvent, { type: 'aggregated' }>, effects: Effect[]): void {
    this.#curating = false;
    for (const rejected of event.rejected) {
      effects.push({ type: 'log', level: 'warn', message: `round ${event.round}: rejected the delta ${rejected.delta.slice(0, 12)} from ${rejected.peer}: ${rejected.reason}` });
    }
    const head = this.#head;
    const contributors = [...event.contributors].sort((a, b) => (a.peer < b.peer ? -1 : 1));
    if (contributors.length === 0) return;
    if (head !== undefined && head.round === event.round && head.hash !== event.version) {
      const covered = contributors.every((c) => head.contributors.some((h) => h.peer === c.peer && h.delta === c.delta));
      if (covered) {
        effects.push({ type: 'log', level: 'info', message: `round ${event.round}: version ${head.hash.slice(0, 12)} already holds every delta we aggregated; ours is not published` });
        return;
      }
    }
    const ours: Head = {
      round: event.round,
      hash: event.version,
      parent: event.base,
      contributors,
      merged: [],
      curator: this.config.self,
      bytes: event.bytes,
      ...(event.metrics === undefined ? {} : { metrics: event.metrics }),
      ...(event.patch === undefined ? {} : { patch: event.patch }),
    };
    const advert = this.#versionAdvert(ours, event.now)!;
    // Publish even if another version for this round got here first: ours may hold deltas it
    // lacks, and every peer merges same-round siblings.
    effects.push({ type: 'publish', advert });
    this.#addHolder(event.version, this.config.self);
    if (head !== undefined && head.round === event.round - 1 && head.hash === event.base) {
      this.#adopt(ours, event.now, effects, true);
    } else if (head !== undefined && head.round === event.round && head.parent === event.base) {
      this.#versions.set(event.version, { advert, from: this.config.self });
      this.#mergeSiblings(event.round, event.base, effects);
    }
  }

  #onMerged(event: Extract<EngineEvent, { type: 'merged' }>, effects: Effect[]): void {
    this.#merging = false;
    const head = this.#head;
    if (head === undefined || head.round !== event.round) return;
    const contributors = new Map<string, Contributor>();
    for (const leaf of event.leaves) {
      const known = leaf === head.hash ? head.contributors : this.#versions.get(leaf)?.advert.contributors ?? [];
      for (const c of known) contributors.set(`${c.peer}/${c.delta}`, c);
    }
    const merged: Head = {
      round: event.round,
      hash: event.version,
      parent: event.parent,
      contributors: [...contributors.values()].sort((a, b) => (a.peer < b.peer ? -1 : 1)),
      merged: [...event.leaves],
      curator: undefined,
      bytes: event.bytes,
    };
    this.#adopt(merged, event.now, effects, true);
    effects.push({
      type: 'publish',
      advert: this.#versionAdvert(merged, event.now)!,
    });
  }

  #onFetched(hash: Hash, now: number, effects: Effect[]): void {
    const pending = this.#fetching.get(hash);
    this.#fetching.delete(hash);
    const head = this.#head;
    if (pending === undefined || head === undefined) return;
    const newer = pending.round > head.round;
    const mergeOfOurRound = pending.round === head.round && pending.merged.length > 0 && pending.merged.length > head.merged.length;
    if (!newer && !mergeOfOurRound) return;
    if (newer) this.#reportSuperseded(head, pending, effects);
    this.#adopt(pending, now, effects, true);
  }

  /**
   * Moving to a version that does not descend from our head abandons the head's branch. The
   * contributions only that branch holds are not in the new head: say so, loudly, with names.
   * (A child of the head, or a jump of several rounds whose ancestry we cannot see, is not reported.)
   */
  #reportSuperseded(head: Head, next: Head, effects: Effect[]): void {
    const child = next.parent === head.hash || head.merged.includes(next.parent ?? '');
    const sibling = next.round === head.round + 1 && next.parent !== undefined && !child;
    if (!sibling || head.contributors.length === 0) return;
    const names = head.contributors.map((c) => c.peer).join(', ');
    effects.push({
      type: 'log',
      level: 'warn',
      message: `version ${head.hash.slice(0, 12)} (round ${head.round}, contributors ${names}) is superseded by round ${next.round} from another branch (parent ${next.parent?.slice(0, 12)}); its contributions are not in the new head`,
    });
  }
}
