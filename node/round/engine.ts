/**
 * The round engine in curator mode: a pure state machine (see events.ts). One instance per
 * peer per task. It owns the head, the round's timing and the deltas collected; when this peer
 * aggregates and what its aggregations do is curation.ts, following the chain of versions (pulls,
 * catch-up, merges) chain-follower.ts, audits and fraud proofs audits.ts. Rules (docs/PROTOCOL.md,
 * "Rounds"):
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
import { Curation } from './curation.ts';
import { RoundElection } from './election.ts';
import type { Effect, EngineEvent, Head } from './events.ts';
import { PeerBook, provenRounds } from './peer-book.ts';

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

export class RoundEngine {
  readonly config: EngineConfig;
  #head: Head | undefined;
  #roundStartedAt = 0;
  /** When this engine started: its view of who is live is incomplete for a presence interval. */
  #startedAt = 0;
  #training = false;
  #finished = false;
  readonly #peers: PeerBook;
  /** Version adverts, pulls, catch-up and merges (chain-follower.ts). */
  readonly #chain: ChainFollower;
  /** Audits of curated versions and fraud proofs (audits.ts). */
  readonly #audits: Audits;
  /** When and what this peer aggregates, and what its aggregations' results do (curation.ts). */
  readonly #curation: Curation;
  /** Deltas for the round after the head, by sender. */
  #deltas = new Map<PeerIdString, DeltaAdvert>();
  /** Deltas for the round after that (from peers that adopted the next version before us). */
  #early = new Map<PeerIdString, DeltaAdvert>();
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
      markSkippedSlots: (next, now, effects) => this.#curation.markSkippedSlots(next, now, effects),
      maybeCurate: (now, effects) => this.#curation.maybeCurate(now, effects),
      disowns: (version) => this.#audits.disowns(version),
    });
    this.#curation = new Curation({
      config,
      peers: this.#peers,
      chain: this.#chain,
      head: () => this.#head,
      round: () => this.round,
      election: () => this.#currentElection(),
      startedAt: () => this.#startedAt,
      slotOpensAt: (rank) => this.#slotOpensAt(rank),
      expected: (now) => this.expected(now),
      livePeers: (now) => this.livePeers(now),
      deltas: () => this.#deltas,
      early: () => this.#early,
      finished: () => this.#finished,
      training: () => this.#training,
      setTraining: () => {
        this.#training = true;
      },
      adopt: (head, now, effects, announce) => this.#adopt(head, now, effects, announce),
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
   * convicted (§7.15: it follows its own chain), not known to have missed the last round they were expected in (a member that is live but does
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
      (peer) => election.inCohort(peer) && !this.#peers.isPenalised(peer, round) && !this.#peers.isUnreliable(peer) && !this.#peers.isConvicted(peer) && !behind(peer),
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
        for (const peer of event.convicted ?? []) this.#peers.convict(peer);
        effects.push({ type: 'set-timer', timer: 'presence', delayMs: 0 });
        this.#adopt(event.head, event.now, effects, false);
        break;
      case 'advert':
        this.#onAdvert(event.from, event.advert, event.now, effects);
        break;
      case 'timer':
        if (event.timer === 'presence') this.#onPresenceTimer(event.now, effects);
        else this.#curation.onCurateTimer(event.now, effects);
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
        this.#curation.onAggregated(event, effects);
        break;
      case 'aggregate-failed':
        this.#curation.onAggregateFailed(event, effects);
        break;
      case 'late-delta':
        this.#curation.onLateDelta(event, effects);
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
    this.#curation.newRound();
    this.#roundStartedAt = now;
    effects.push({ type: 'cancel-timer', timer: 'curate' });
    const target = this.config.targetAccuracy;
    const reachedTarget = target !== undefined && head.metrics !== undefined && head.metrics.accuracy >= target;
    if ((this.config.maxRounds !== undefined && head.round >= this.config.maxRounds) || reachedTarget) {
      if (!this.#finished) effects.push({ type: 'finished', head });
      this.#finished = true;
      return;
    }
    // Stepping back from a fraudulent last version (§7.15) reopens its round.
    this.#finished = false;
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
      if (ours !== undefined && !this.#curation.active && now - ours.sentAt >= this.#reannounceAfterMs) {
        const again: DeltaAdvert = { ...ours, sentAt: now };
        this.#deltas.set(this.config.self, again);
        effects.push({ type: 'publish', advert: again });
      }
    }
    this.#peers.forgetSilent(now);
    // Our view of who is live completes one interval after start: every delta may be in by now.
    if (head !== undefined) this.#curation.maybeCurate(now, effects);
    effects.push({ type: 'set-timer', timer: 'presence', delayMs: this.config.presenceIntervalMs });
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
        this.#audits.onPresence(from, advert.head, now, effects);
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
    if (this.#curation.active) {
      effects.push({ type: 'log', level: 'info', message: `round ${advert.round}: delta from ${from} arrived after aggregation began; it misses this round` });
    }
    this.#deltas.set(from, advert);
    this.#curation.maybeCurate(now, effects);
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
    this.#curation.maybeCurate(event.now, effects);
  }


}
