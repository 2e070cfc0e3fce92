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
 * - Nothing moves on one member's word alone: a version that is not a child of the head (a round
 *   jump, a catch-up) is pulled only once two peers vouch for it; a peer whose advertised blob
 *   could not be pulled or was invalid is left out for a while; a member that missed its last
 *   expected round is not waited for; a sender keeps at most two versions per round (§7.14).
 */
import type { Advert, Contributor, DeltaAdvert, Hash, PeerIdString, VersionAdvert } from '../../protocols/messages.ts';
import { RoundElection } from './election.ts';
import type { DeltaOffer, Effect, EngineEvent, Head, MergeLeaf, RejectedDelta } from './events.ts';
import { PeerBook, provenRounds } from './peer-book.ts';
import { advertOfHead, headFromAdvert, MAX_KNOWN_VERSIONS, VersionBook } from './version-book.ts';

export { MAX_KNOWN_VERSIONS } from './version-book.ts';

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

/** A version being pulled: what adopting it would make the head, and whose advert asked for it. */
interface PendingPull {
  readonly head: Head;
  readonly from: PeerIdString;
}

/** An open delta is announced again after this many presence intervals without a version (at most half the window). */
const REANNOUNCE_AFTER_INTERVALS = 3;
/** The straggler grace floor of an aggregation's pulls (§7.8) is this share of the collection window. */
const STRAGGLER_GRACE_SHARE_OF_WINDOW = 1 / 16;

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
  readonly #peers: PeerBook;
  readonly #versions = new VersionBook();
  /** Deltas for the round after the head, by sender. */
  #deltas = new Map<PeerIdString, DeltaAdvert>();
  /** Deltas for the round after that (from peers that adopted the next version before us). */
  #early = new Map<PeerIdString, DeltaAdvert>();
  /** Versions being pulled. */
  readonly #fetching = new Map<Hash, PendingPull>();
  /** Senders whose delta was cut from an aggregation as a straggler and is still being pulled: delta by sender. */
  readonly #latePulls = new Map<PeerIdString, Hash>();
  /** "theirHead>ourHead" pairs we re-published our head's advert for. */
  readonly #republishedFor = new Set<string>();
  /** The round in which we last said the known-version cap was reached (said once a round). */
  #capLoggedRound = -1;
  #election: RoundElection | undefined;

  constructor(config: EngineConfig) {
    this.config = config;
    this.#peers = new PeerBook(config.self, config.peerTimeoutMs, provenRounds(config.cohortFraction));
  }

  get head(): Head | undefined {
    return this.#head;
  }

  /** Version adverts kept (of the head's round and later), for diagnostics and tests. */
  get knownVersions(): number {
    return this.#versions.size;
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

  /**
   * Live peers expected to train the current round: in its cohort, not serving a penalty, not
   * known to have missed the last round they were expected in (a member that is live but does
   * not deliver is not waited for until it sends a delta again), and not known to be more than
   * one round behind (one round behind, a peer has just not seen the new version yet; further
   * behind, it is catching up and will not deliver in time). Only a round announced since this
   * round began tells: an older announcement predates the versions everyone has adopted since,
   * and when rounds are shorter than the presence interval it is many rounds old.
   */
  expected(now: number): PeerIdString[] {
    const head = this.#head;
    if (head === undefined) return [];
    const election = this.#currentElection();
    const round = head.round + 1;
    const behind = (peer: PeerIdString) => {
      const announced = this.#peers.roundSince(peer, this.#roundStartedAt);
      return announced !== undefined && announced < head.round - 1;
    };
    return this.livePeers(now).filter(
      (peer) => election.inCohort(peer) && !this.#peers.isPenalised(peer, round) && !this.#peers.isUnreliable(peer) && !behind(peer),
    );
  }

  /** Peers heard from within the peer timeout, this one included. */
  livePeers(now: number): PeerIdString[] {
    return this.#peers.livePeers(now);
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
        this.#penaliseRejected(event.round, event.rejected ?? [], effects);
        effects.push({ type: 'log', level: 'warn', message: `aggregating round ${event.round} failed (${event.reason}); the next standby takes over` });
        break;
      case 'late-delta':
        this.#onLateDelta(event, effects);
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
        this.#onFetchFailed(event, effects);
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown engine event ${JSON.stringify(unknown)}`);
      }
    }
    return effects;
  }

  /** Bases a delta for the next round may have: the head, or any version merged into it. */
  #acceptsBase(base: Hash): boolean {
    return base === this.#head?.hash || (this.#head?.merged.includes(base) ?? false);
  }

  #adopt(head: Head, now: number, effects: Effect[], announce: boolean): void {
    const previous = this.#head;
    if (previous !== undefined && head.round === previous.round + 1) this.#recordMisses(now, head);
    this.#head = head;
    this.#recordProofs(head);
    this.#versions.delete(head.hash);
    this.#peers.addHolder(head.hash, this.config.self);
    if (announce) effects.push({ type: 'adopt', head });
    const sameRoundMerge = previous !== undefined && head.merged.length > 0 && previous.round === head.round;
    if (sameRoundMerge) {
      // Deltas trained from a merged leaf stay valid: keep collecting, keep any training in flight.
      return;
    }
    this.#startRound(now, effects);
  }

  /** The head's contributors and curator have shown they deliver: they may curate for a while (§7.4). */
  #recordProofs(head: Head): void {
    for (const { peer } of head.contributors) this.#peers.proved(peer, head.round);
    if (head.curator !== undefined) this.#peers.proved(head.curator, head.round);
  }

  /**
   * The round after the head closes with version `next`: every member it expected whose delta
   * neither reached us nor is in `next` missed it.
   */
  #recordMisses(now: number, next: Head): void {
    if (now - this.#startedAt < this.config.presenceIntervalMs) return; // our view of the round was incomplete
    const contributed = new Set(next.contributors.map((c) => c.peer));
    for (const peer of this.expected(now)) {
      if (peer !== this.config.self && !this.#deltas.has(peer) && !contributed.has(peer)) this.#peers.missed(peer);
    }
  }

  /**
   * Drops what no longer matters once a new round starts — versions of earlier rounds, holders of
   * blobs we will not pull, republish marks for older heads — so a long-running peer's memory
   * does not grow with every delta it ever heard of.
   */
  #forgetOldRounds(): void {
    const head = this.#head!;
    this.#versions.forgetBefore(head.round);
    const wanted = new Set<Hash>([head.hash, ...head.merged, ...this.#versions.hashes(), ...this.#fetching.keys()]);
    for (const advert of this.#deltas.values()) wanted.add(advert.delta);
    this.#peers.keepHoldersOf(wanted);
    this.#peers.forgetPenaltiesBefore(head.round + 1);
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

  /** How long an open delta waits for a version before it is announced again: well inside the window. */
  get #reannounceAfterMs(): number {
    return Math.min(REANNOUNCE_AFTER_INTERVALS * this.config.presenceIntervalMs, this.config.collectionWindowMs / 2);
  }

  #onPresenceTimer(now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head !== undefined) {
      effects.push({ type: 'publish', advert: { kind: 'presence', task: this.config.task, round: head.round, head: head.hash, age: 0, sentAt: now } });
      // Adverts are not stored by the network: announce our open delta again, for peers that
      // joined, reconnected or were not subscribed yet when it was first published.
      const ours = this.#deltas.get(this.config.self);
      if (ours !== undefined && !this.#curating && now - ours.sentAt >= this.#reannounceAfterMs) {
        const again: DeltaAdvert = { ...ours, sentAt: now };
        this.#deltas.set(this.config.self, again);
        effects.push({ type: 'publish', advert: again });
      }
    }
    this.#peers.forgetSilent(now);
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
    const election = this.#currentElection();
    const curator = this.#peers.isCurator(election, now);
    if (!curator && now < this.#slotOpensAt(1)) return;
    const rank = curator ? 0 : this.#peers.rank(election, now);
    if (now < this.#slotOpensAt(rank) && rank !== 0) return;
    const expected = this.expected(now);
    // A peer that has just (re)started has not yet heard every live peer announce itself: its
    // expected set may be a handful, so it must not close early on it.
    const viewComplete = now - this.#startedAt >= this.config.presenceIntervalMs;
    const allIn = viewComplete && expected.length >= this.config.minPeers && expected.every((peer) => this.#deltas.has(peer));
    if (now < this.#slotOpensAt(rank) && !allIn) return;
    // A sender whose last delta is still being pulled in the background (cut as a straggler) is
    // not offered again until that pull ends: one straggling pull per sender at a time.
    const offered = [...this.#deltas].filter(([from]) => !this.#latePulls.has(from));
    if (offered.length === 0) return;
    this.#curating = true;
    const deltas: DeltaOffer[] = offered
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([from, advert]) => ({ from, advert, holders: this.#peers.holdersOf(advert.delta, from, head.round + 1) }));
    const role = rank === 0 ? 'curator' : `standby ${rank}`;
    const held = offered.length < this.#deltas.size ? ` (${this.#deltas.size - offered.length} held back: their senders' last deltas are still being pulled)` : '';
    effects.push({ type: 'log', level: 'info', message: `round ${this.round}: aggregating ${deltas.length} of ${expected.length} expected deltas as ${role}${held}` });
    const graceMs = this.config.collectionWindowMs * STRAGGLER_GRACE_SHARE_OF_WINDOW;
    effects.push({ type: 'aggregate', round: head.round + 1, base: head.hash, deltas, graceMs });
  }

  /** Fires when the collection window closes, then every curator deadline, until the round ends. */
  #onCurateTimer(now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined || this.#finished) return;
    this.#pullEntitledChildren(now, effects);
    this.#maybeCurate(now, effects);
    const election = this.#currentElection();
    const rank = this.#peers.isCurator(election, now) ? 0 : this.#peers.rank(election, now);
    if (this.#deltas.size === 0 && !this.#training && !this.#curating && now >= this.#slotOpensAt(rank)) {
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
    for (const pending of this.#fetching.values()) if (pending.head.round >= atLeast) return true;
    return false;
  }

  #onAdvert(from: PeerIdString, advert: Advert, now: number, effects: Effect[]): void {
    if (advert.task !== this.config.task) return;
    this.#peers.heard(from, now);
    switch (advert.kind) {
      case 'presence':
        this.#peers.setRound(from, advert.round, now);
        this.#peers.addHolder(advert.head, from);
        this.#peers.vouch(advert.head, advert.round, from);
        this.#onPresence(from, advert.round, advert.head, now, effects);
        break;
      case 'delta':
        this.#peers.raiseRound(from, advert.round - 1, now);
        this.#peers.delivered(from);
        this.#peers.addHolder(advert.delta, from);
        this.#peers.addHolder(advert.base, from); // it trained from the base, so it holds it
        this.#peers.vouch(advert.base, advert.round - 1, from);
        this.#onDelta(from, advert, now, effects);
        this.#pullIfVouched(advert.base, now, effects);
        break;
      case 'version':
        this.#peers.raiseRound(from, advert.round, now);
        this.#peers.addHolder(advert.hash, from);
        this.#peers.vouch(advert.hash, advert.round, from);
        this.#onVersion(from, advert, now, effects);
        break;
      default: {
        const unknown: never = advert;
        throw new Error(`unknown advert ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * Whether version `hash` of `round`, not a child of the head, may be pulled: two other peers
   * vouch for it as that round's version (announced it as their head, built a delta on it, or
   * advertised it), or every other live peer does when fewer than two are live. One member's word
   * never moves a peer.
   */
  #vouched(hash: Hash, round: number, now: number): boolean {
    const others = this.livePeers(now).length - 1;
    return this.#peers.vouchers(hash, round) >= Math.max(1, Math.min(2, others));
  }

  #onPresence(from: PeerIdString, round: number, hash: Hash, now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined) return;
    if (hash === head.hash) {
      this.#republishForNewcomer(from, now, effects);
      return;
    }
    if (head.merged.includes(hash)) return;
    if (round <= head.round) {
      // The peer is behind or on a sibling branch (a partition healed?) and may have missed our
      // head's advert while cut off: publish it again, once per head of theirs.
      const key = `${hash}>${head.hash}`;
      const advert = advertOfHead(head, this.config.task, now);
      if (advert !== undefined && !this.#republishedFor.has(key)) {
        this.#republishedFor.add(key);
        effects.push({ type: 'publish', advert });
      }
      return;
    }
    const known = this.#versions.get(hash);
    if (known !== undefined) {
      this.#pullIfVouched(hash, now, effects);
      return;
    }
    if (this.#fetching.has(hash) || this.#pullingRound(round) || this.#versions.isRejected(hash)) return;
    if (this.#peers.isPenalised(from, this.round) || !this.#vouched(hash, round, now)) return;
    // Peers ahead of us vouch for a head whose version advert we missed: pull it to catch up.
    this.#fetching.set(hash, { head: { round, hash, parent: undefined, contributors: [], merged: [], curator: undefined, bytes: 0 }, from });
    effects.push({ type: 'log', level: 'info', message: `catching up: ${from} is at round ${round}, we are at ${head.round}` });
    effects.push({ type: 'fetch-version', hash, round, holders: this.#peers.holdersOf(hash, from, this.round) });
  }

  /**
   * A peer that joined or restarted after we adopted our head announces that head: it caught up
   * to it from presence adverts alone, after its version advert went out, and could never record
   * it. The head's curator publishes the advert again, once per such peer and head.
   */
  #republishForNewcomer(from: PeerIdString, now: number, effects: Effect[]): void {
    const head = this.#head!;
    const joined = this.#peers.joinedAt(from);
    if (head.curator !== this.config.self || joined === undefined || joined <= this.#roundStartedAt) return;
    const key = `${from}>${head.hash}`;
    const advert = advertOfHead(head, this.config.task, now);
    if (advert === undefined || this.#republishedFor.has(key)) return;
    this.#republishedFor.add(key);
    effects.push({ type: 'publish', advert });
  }

  #onDelta(from: PeerIdString, advert: DeltaAdvert, now: number, effects: Effect[]): void {
    if (this.#peers.isPenalised(from, advert.round)) return;
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

  /**
   * Keeps a version advert within the version book's bounds; a sender that equivocates is
   * penalised. Of two adverts for one version, the one its claimed curator published itself is
   * kept, and of two such, the one whose curator is entitled (§7.4): a peer that re-publishes a
   * version as its own is not recorded as its curator.
   */
  #keepVersion(from: PeerIdString, advert: VersionAdvert, now: number, effects: Effect[]): boolean {
    const known = this.#versions.get(advert.hash);
    if (known !== undefined) {
      const firstHand = (claim: { readonly from: PeerIdString; readonly advert: VersionAdvert }) => claim.advert.curator !== undefined && claim.from === claim.advert.curator;
      const claim = { from, advert };
      if (firstHand(claim) && (!firstHand(known) || (!this.#entitled(known.advert.curator!, now) && this.#entitled(advert.curator!, now)))) this.#versions.set(advert.hash, claim);
      return true;
    }
    const result = this.#versions.keep(from, advert);
    if (!result.kept) {
      const until = this.#peers.penalise(from, this.round);
      effects.push({ type: 'log', level: 'warn', message: `${from} advertised a third version for round ${advert.round}; ignored, and its adverts are ignored until round ${until}` });
      return false;
    }
    if (result.evicted !== undefined && this.#capLoggedRound !== this.round) {
      this.#capLoggedRound = this.round;
      effects.push({ type: 'log', level: 'warn', message: `${MAX_KNOWN_VERSIONS} version adverts pending; dropped the oldest of ${result.evicted.from}, which sent ${result.evicted.held}` });
    }
    return true;
  }

  #onVersion(from: PeerIdString, advert: VersionAdvert, now: number, effects: Effect[]): void {
    const head = this.#head;
    if (head === undefined || this.#versions.isRejected(advert.hash) || this.#peers.isPenalised(from, this.round)) return;
    if (advert.hash === head.hash && head.parent === undefined && head.round === advert.round) {
      // We caught up to this version without its advert: now we know where it came from.
      this.#head = headFromAdvert(advert);
      this.#recordProofs(this.#head);
      effects.push({ type: 'adopt', head: this.#head });
      return;
    }
    if (advert.hash === head.hash || head.merged.includes(advert.hash) || advert.round < head.round) return;
    if (!this.#keepVersion(from, advert, now, effects)) return;
    if (advert.round > head.round) {
      const pending = this.#fetching.get(advert.hash);
      if (pending !== undefined) {
        this.#fetching.set(advert.hash, { head: headFromAdvert(advert), from: pending.from }); // now with its provenance
        return;
      }
      this.#pullIfVouched(advert.hash, now, effects);
      return;
    }
    if (advert.parent !== head.parent) return;
    if (advert.merged.length === 0) {
      this.#mergeSiblings(advert.round, advert.parent, effects);
      return;
    }
    // Another peer's merge of our round: pull it if it covers every version we hold of the round.
    const ourLeaves = head.merged.length > 0 ? head.merged : [head.hash];
    if (ourLeaves.every((leaf) => advert.merged.includes(leaf)) && !this.#fetching.has(advert.hash)) {
      this.#fetching.set(advert.hash, { head: headFromAdvert(advert), from });
      effects.push({ type: 'fetch-version', hash: advert.hash, round: advert.round, holders: this.#peers.holdersOf(advert.hash, from, this.round), bytes: advert.bytes });
    }
  }

  /**
   * Pulls known version `hash` of a later round if it may be: a child of the head on its
   * advert's word, anything else once vouched for (see #vouched); one later-round pull at a time.
   */
  #pullIfVouched(hash: Hash, now: number, effects: Effect[]): void {
    const head = this.#head;
    const known = this.#versions.get(hash);
    if (head === undefined || known === undefined || known.advert.round <= head.round || this.#fetching.has(hash)) return;
    const { advert, from } = known;
    const child = advert.round === head.round + 1 && this.#acceptsBase(advert.parent);
    // A child is pulled on its curator's own advert if that curator is entitled by now (else it
    // waits for the slot that entitles it); a re-published or curator-less child, like any other
    // version, once two peers vouch for it.
    const onCuratorsWord = child && advert.curator !== undefined && from === advert.curator && this.#entitled(advert.curator, now);
    if (!onCuratorsWord && !this.#vouched(hash, advert.round, now)) return;
    if (this.#pullingRound(advert.round + 1)) return;
    this.#fetching.set(hash, { head: headFromAdvert(advert), from });
    const patch = advert.patch === undefined ? {} : { patch: { hash: advert.patch, base: advert.parent } };
    effects.push({ type: 'fetch-version', hash, round: advert.round, holders: this.#peers.holdersOf(hash, from, this.round), bytes: advert.bytes, ...patch });
  }

  /**
   * Whether `curator` may have made the current round's version by `now` (§7.4, entitlement):
   * with `k` the peers it ranks after — live (this one included) and proven for the round, before
   * it in the ranking if it is proven, all of them if it is not — rank 0 and 1 always (one rank of
   * tolerance for views that differ), rank k ≥ 2 once slot k − 1 has opened. Local judgments
   * (penalties, missed rounds, skipped slots) are left out: they differ between peers.
   */
  #entitled(curator: PeerIdString, now: number): boolean {
    const election = this.#currentElection();
    const round = election.round;
    const proven = this.#peers.isProven(curator, round);
    let rank = 0;
    for (const peer of this.livePeers(now)) {
      if (peer !== curator && this.#peers.isProven(peer, round) && (!proven || election.ranksBefore(peer, curator))) rank++;
    }
    return rank <= 1 || now >= this.#slotOpensAt(rank - 1);
  }

  /** Pulls the children of the head that were waiting for their curator's slot, now that another slot opened. */
  #pullEntitledChildren(now: number, effects: Effect[]): void {
    const round = this.round;
    for (const { advert } of [...this.#versions.values()]) if (advert.round === round) this.#pullIfVouched(advert.hash, now, effects);
  }

  /** All known versions of the head's round with the head's parent, as merge leaves. */
  #mergeSiblings(round: number, parent: Hash, effects: Effect[]): void {
    const head = this.#head!;
    const leaves = new Map<Hash, MergeLeaf>();
    const addLeaf = (hash: Hash, contributors: readonly Contributor[]) => leaves.set(hash, { hash, samples: samplesOf(contributors), holders: this.#peers.allHolders(hash) });
    if (head.merged.length === 0) addLeaf(head.hash, head.contributors);
    for (const leaf of head.merged) {
      const known = this.#versions.get(leaf);
      if (known !== undefined) addLeaf(leaf, known.advert.contributors);
    }
    for (const { advert, from } of this.#versions.values()) {
      if (advert.round === round && advert.parent === parent && advert.merged.length === 0 && !this.#peers.isPenalised(from, this.round)) addLeaf(advert.hash, advert.contributors);
    }
    const sorted = [...leaves.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
    if (sorted.length < 2 || this.#merging) return;
    this.#merging = true;
    effects.push({ type: 'log', level: 'warn', message: `round ${round} has ${sorted.length} versions with one parent (a partition healed?): merging them` });
    effects.push({ type: 'merge', round, parent, leaves: sorted });
  }

  #onTrained(event: Extract<EngineEvent, { type: 'trained' }>, effects: Effect[]): void {
    this.#training = false;
    this.#peers.addHolder(event.delta, this.config.self);
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

  /**
   * Leaves out, for a while from the current round on, each peer whose delta for `round` could
   * not be pulled or was invalid.
   */
  #penaliseRejected(round: number, rejected: readonly RejectedDelta[], effects: Effect[]): void {
    for (const { peer, delta, reason } of rejected) {
      effects.push({ type: 'log', level: 'warn', message: `round ${round}: rejected the delta ${delta.slice(0, 12)} from ${peer}: ${reason}` });
      if (peer === this.config.self) continue;
      const until = this.#peers.penalise(peer, this.round);
      this.#deltas.delete(peer);
      this.#early.delete(peer);
      effects.push({ type: 'log', level: 'info', message: `${peer} is left out of rounds up to ${until}` });
    }
  }

  #onAggregated(event: Extract<EngineEvent, { type: 'aggregated' }>, effects: Effect[]): void {
    this.#curating = false;
    this.#penaliseRejected(event.round, event.rejected, effects);
    for (const { peer, delta, reason } of event.late) {
      this.#latePulls.set(peer, delta);
      effects.push({ type: 'log', level: 'info', message: `round ${event.round}: the delta ${delta.slice(0, 12)} from ${peer} misses the round (${reason}); its pull goes on` });
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
    const advert = advertOfHead(ours, this.config.task, event.now)!;
    // Publish even if another version for this round got here first: ours may hold deltas it
    // lacks, and every peer merges same-round siblings.
    effects.push({ type: 'publish', advert });
    this.#peers.addHolder(event.version, this.config.self);
    if (head !== undefined && head.round === event.round - 1 && head.hash === event.base) {
      this.#markSkippedSlots(ours, event.now, effects);
      this.#adopt(ours, event.now, effects, true);
    } else if (head !== undefined && head.round === event.round && head.parent === event.base) {
      this.#versions.set(event.version, { advert, from: this.config.self });
      this.#mergeSiblings(event.round, event.base, effects);
    }
  }

  /**
   * A straggler's background pull ended. A delta that arrived only missed its round; one that
   * could not be pulled costs its sender a penalty, as a failed pull before the cut would have.
   */
  #onLateDelta(event: Extract<EngineEvent, { type: 'late-delta' }>, effects: Effect[]): void {
    if (this.#latePulls.get(event.peer) === event.delta) this.#latePulls.delete(event.peer);
    if (event.failure === undefined) {
      effects.push({ type: 'log', level: 'info', message: `round ${event.round}: the delta ${event.delta.slice(0, 12)} from ${event.peer} arrived after its round was aggregated` });
    } else {
      this.#penaliseRejected(event.round, [{ peer: event.peer, delta: event.delta, reason: `${event.failure} (after it was cut as a straggler)` }], effects);
    }
    if (this.#head !== undefined) this.#maybeCurate(event.now, effects);
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
      advert: advertOfHead(merged, this.config.task, event.now)!,
    });
  }

  #onFetched(hash: Hash, now: number, effects: Effect[]): void {
    const fetched = this.#fetching.get(hash);
    this.#fetching.delete(hash);
    const head = this.#head;
    const pending = fetched?.head;
    if (pending === undefined || head === undefined) return;
    const newer = pending.round > head.round;
    const mergeOfOurRound = pending.round === head.round && pending.merged.length > 0 && pending.merged.length > head.merged.length;
    if (!newer && !mergeOfOurRound) return;
    if (newer) this.#reportSuperseded(head, pending, effects);
    // Published by its own curator (not re-published): the peers ranked before it let their slots pass.
    if (fetched!.from === pending.curator) this.#markSkippedSlots(pending, now, effects);
    this.#adopt(pending, now, effects, true);
  }

  /**
   * `next`, a child of the head, was made by `next.curator` in its own slot (slot k opens at T_k;
   * it is T_k or later). Every eligible peer ranked before that curator that we heard from after
   * its own slot opened was live and made no version — a member that stays eligible (it sends
   * deltas) and never curates: it is not ranked for a while (§7.14), so that it is skipped, not
   * waited for, the next times it would rank first. A peer not heard from since its slot opened
   * (crashed, cut off by a partition) is not marked; nor is anyone when a version comes before its
   * curator's slot (which issue 12's entitlement check will refuse).
   */
  #markSkippedSlots(next: Head, now: number, effects: Effect[]): void {
    const head = this.#head!;
    const curator = next.curator;
    if (curator === undefined || next.round !== head.round + 1 || next.parent !== head.hash) return;
    const election = this.#currentElection();
    const round = head.round + 1;
    const before = this.livePeers(now)
      .filter((peer) => peer !== curator && (peer === this.config.self ? this.#peers.isProven(peer, round) : this.#peers.mayCurate(peer, round)) && election.ranksBefore(peer, curator))
      .sort((a, b) => (election.ranksBefore(a, b) ? -1 : 1));
    if (before.length === 0 || now < this.#slotOpensAt(before.length)) return;
    before.forEach((peer, slot) => {
      const seen = this.#peers.lastSeen(peer);
      if (peer === this.config.self || seen === undefined || seen < this.#slotOpensAt(slot)) return;
      const until = this.#peers.skippedSlot(peer, round);
      effects.push({ type: 'log', level: 'info', message: `round ${round}: ${peer} was live in its curation slot and made no version; it is not ranked as curator up to round ${until}` });
    });
  }

  /**
   * A version could not be pulled, or was invalid: the peer whose advert asked for it is left
   * out for a while, and an invalid version is never pulled again.
   */
  #onFetchFailed(event: Extract<EngineEvent, { type: 'fetch-failed' }>, effects: Effect[]): void {
    const pending = this.#fetching.get(event.hash);
    this.#fetching.delete(event.hash);
    this.#versions.delete(event.hash);
    effects.push({ type: 'log', level: 'warn', message: `could not ${event.invalid === true ? 'use' : 'pull'} version ${event.hash.slice(0, 12)}: ${event.reason}` });
    if (event.invalid === true) this.#versions.reject(event.hash);
    if (pending !== undefined && pending.from !== this.config.self) {
      const until = this.#peers.penalise(pending.from, this.round);
      effects.push({ type: 'log', level: 'info', message: `${pending.from} advertised it; its adverts are ignored until round ${until}` });
    }
    this.#maybeCurate(event.now, effects); // it may have been held back by that pull
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
