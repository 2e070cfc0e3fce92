/**
 * The round engine in curator mode: a pure state machine (see events.ts). One instance per
 * peer per task. It owns the head, the round's timing and curation; following the chain of
 * versions (pulls, catch-up, merges) is chain-follower.ts. Rules (docs/PROTOCOL.md, "Rounds"):
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
import type { Advert, DeltaAdvert, Hash, PeerIdString } from '../../protocols/messages.ts';
import { AUDITORS_DEFAULT } from '../task/audit-section.ts';
import { Audits } from './audits.ts';
import { ChainFollower } from './chain-follower.ts';
import { RoundElection } from './election.ts';
import type { DeltaOffer, Effect, EngineEvent, Head, RejectedDelta } from './events.ts';
import { PeerBook, provenRounds } from './peer-book.ts';
import { advertOfHead } from './version-book.ts';

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
  /** Auditors drawn per curated version (§7.15): the task's audit.auditors. Default AUDITORS_DEFAULT. */
  readonly auditors?: number;
}

/** An open delta is announced again after this many presence intervals without a version (at most half the window). */
const REANNOUNCE_AFTER_INTERVALS = 3;
/** The straggler grace floor of an aggregation's pulls (§7.8) is this share of the collection window. */
const STRAGGLER_GRACE_SHARE_OF_WINDOW = 1 / 16;

export class RoundEngine {
  readonly config: EngineConfig;
  #head: Head | undefined;
  #roundStartedAt = 0;
  /** When this engine started: its view of who is live is incomplete for a presence interval. */
  #startedAt = 0;
  #training = false;
  #curating = false;
  #finished = false;
  readonly #peers: PeerBook;
  /** Version adverts, pulls, catch-up and merges (chain-follower.ts). */
  readonly #chain: ChainFollower;
  /** Audits of curated versions and fraud proofs (audits.ts). */
  readonly #audits: Audits;
  /** Deltas for the round after the head, by sender. */
  #deltas = new Map<PeerIdString, DeltaAdvert>();
  /** Deltas for the round after that (from peers that adopted the next version before us). */
  #early = new Map<PeerIdString, DeltaAdvert>();
  /** Senders whose delta was cut from an aggregation as a straggler and is still being pulled: delta by sender. */
  readonly #latePulls = new Map<PeerIdString, Hash>();
  #election: RoundElection | undefined;

  constructor(config: EngineConfig) {
    this.config = config;
    this.#peers = new PeerBook(config.self, config.peerTimeoutMs, provenRounds(config.cohortFraction));
    this.#chain = new ChainFollower({
      self: config.self,
      task: config.task,
      peers: this.#peers,
      head: () => this.#head,
      round: () => this.round,
      roundStartedAt: () => this.#roundStartedAt,
      election: () => this.#currentElection(),
      livePeers: (now) => this.livePeers(now),
      acceptsBase: (hash) => this.#acceptsBase(hash),
      slotOpensAt: (rank) => this.#slotOpensAt(rank),
      adopt: (head, now, effects, announce) => this.#adopt(head, now, effects, announce),
      fillProvenance: (head) => {
        this.#head = head;
        this.#recordProofs(head);
      },
      markSkippedSlots: (next, now, effects) => this.#markSkippedSlots(next, now, effects),
      maybeCurate: (now, effects) => this.#maybeCurate(now, effects),
      disowns: (version) => this.#audits.disowns(version),
    });
    this.#audits = new Audits({
      self: config.self,
      task: config.task,
      peers: this.#peers,
      auditors: config.auditors ?? AUDITORS_DEFAULT,
      head: () => this.#head,
      livePeers: (now) => this.livePeers(now),
      stepBack: (head, now, effects) => this.#adopt(head, now, effects, true),
    });
  }

  get head(): Head | undefined {
    return this.#head;
  }

  /** Version adverts kept (of the head's round and later), for diagnostics and tests. */
  get knownVersions(): number {
    return this.#chain.knownVersions;
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
        this.#chain.onMerged(event, effects);
        break;
      case 'merge-failed':
        this.#chain.mergeFailed();
        effects.push({ type: 'log', level: 'warn', message: `merging round ${event.round} versions ${event.leaves.join(', ')} failed: ${event.reason}` });
        break;
      case 'fetched':
        this.#chain.onFetched(event.hash, event.now, effects);
        break;
      case 'audited':
        this.#audits.onAudited(event, effects);
        break;
      case 'fetch-failed':
        this.#chain.onFetchFailed(event, effects);
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
    this.#chain.adopted(head.hash);
    this.#peers.addHolder(head.hash, this.config.self);
    if (announce) effects.push({ type: 'adopt', head });
    this.#audits.adopted(head, now, effects);
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
    const wanted = new Set<Hash>([head.hash, ...head.merged, ...this.#chain.forgetBefore(head.round)]);
    for (const advert of this.#deltas.values()) wanted.add(advert.delta);
    this.#peers.keepHoldersOf(wanted);
    this.#peers.forgetPenaltiesBefore(head.round + 1);
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
    if (this.#chain.pullingRound(head.round + 1)) return;
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
    this.#chain.pullEntitledChildren(now, effects);
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

  #onAdvert(from: PeerIdString, advert: Advert, now: number, effects: Effect[]): void {
    if (advert.task !== this.config.task) return;
    this.#peers.heard(from, now);
    switch (advert.kind) {
      case 'presence':
        this.#peers.setRound(from, advert.round, now);
        this.#peers.addHolder(advert.head, from);
        this.#peers.vouch(advert.head, advert.round, from);
        this.#chain.onPresence(from, advert.round, advert.head, now, effects);
        break;
      case 'delta':
        this.#peers.raiseRound(from, advert.round - 1, now);
        this.#peers.delivered(from);
        this.#peers.addHolder(advert.delta, from);
        this.#peers.addHolder(advert.base, from); // it trained from the base, so it holds it
        this.#peers.vouch(advert.base, advert.round - 1, from);
        this.#onDelta(from, advert, now, effects);
        this.#chain.pullIfVouched(advert.base, now, effects);
        break;
      case 'version':
        this.#peers.raiseRound(from, advert.round, now);
        this.#peers.addHolder(advert.hash, from);
        this.#peers.vouch(advert.hash, advert.round, from);
        this.#chain.onVersion(from, advert, now, effects);
        break;
      case 'fraud':
        this.#audits.onFraud(from, advert, effects);
        break;
      default: {
        const unknown: never = advert;
        throw new Error(`unknown advert ${JSON.stringify(unknown)}`);
      }
    }
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
      this.#chain.keepOwn(advert);
      this.#chain.mergeSiblings(event.round, event.base, effects);
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

}
