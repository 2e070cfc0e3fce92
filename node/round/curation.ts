/**
 * Curation in the curator-mode round engine (docs/PROTOCOL.md §7.7, §7.8, §7.14): when this peer
 * aggregates the round's deltas (its slot open, or the curator with every expected delta in), what
 * an aggregation's result does (penalties for invalid or unpullable deltas, stragglers held back,
 * our version published and adopted or merged), and which peers let their curation slot pass.
 * Pure, like the engine (engine.ts), which owns the head, the deltas and the round's timing and is
 * reached through `CurationHost`.
 */
import type { DeltaAdvert, Hash, PeerIdString } from '../../protocols/messages.ts';
import type { ChainFollower } from './chain-follower.ts';
import type { RoundElection } from './election.ts';
import type { EngineConfig } from './engine.ts';
import type { DeltaOffer, Effect, EngineEvent, Head, RejectedDelta } from './events.ts';
import type { PeerBook } from './peer-book.ts';
import { advertOfHead } from './version-book.ts';

/** The straggler grace floor of an aggregation's pulls (§7.8) is this share of the collection window. */
const STRAGGLER_GRACE_SHARE_OF_WINDOW = 1 / 16;

/** What curation needs of the engine. */
export interface CurationHost {
  readonly config: EngineConfig;
  readonly peers: PeerBook;
  readonly chain: ChainFollower;
  head(): Head | undefined;
  /** The round being trained and curated (head round + 1). */
  round(): number;
  election(): RoundElection;
  /** When this engine started (its view of who is live is incomplete for a presence interval). */
  startedAt(): number;
  slotOpensAt(rank: number): number;
  expected(now: number): PeerIdString[];
  livePeers(now: number): PeerIdString[];
  /** Deltas for the round after the head, by sender (mutable: penalised senders are removed). */
  deltas(): Map<PeerIdString, DeltaAdvert>;
  /** Deltas for the round after that. */
  early(): Map<PeerIdString, DeltaAdvert>;
  finished(): boolean;
  training(): boolean;
  /** Marks this peer as training (the caller pushes the `train` effect). */
  setTraining(): void;
  adopt(head: Head, now: number, effects: Effect[], announce: boolean): void;
}

export class Curation {
  readonly #host: CurationHost;
  /** An aggregation of ours is running. */
  #active = false;
  /** Senders whose delta was cut from an aggregation as a straggler and is still being pulled: delta by sender. */
  readonly #latePulls = new Map<PeerIdString, Hash>();

  constructor(host: CurationHost) {
    this.#host = host;
  }

  /** Whether an aggregation of ours is running. */
  get active(): boolean {
    return this.#active;
  }

  /** A new round started: no aggregation of ours is running for it. */
  newRound(): void {
    this.#active = false;
  }

  onAggregateFailed(event: Extract<EngineEvent, { type: 'aggregate-failed' }>, effects: Effect[]): void {
    this.#active = false;
    this.penaliseRejected(event.round, event.rejected ?? [], effects);
    effects.push({ type: 'log', level: 'warn', message: `aggregating round ${event.round} failed (${event.reason}); the next standby takes over` });
  }

  /** Aggregates now if this peer may: its slot is open (or it curates and every delta is in) and it holds a delta. */
  maybeCurate(now: number, effects: Effect[]): void {
    const h = this.#host;
    if (this.#active || h.finished() || h.deltas().size === 0) return;
    // A version of this round or a later one is on its way: aggregating would fork the chain
    // (a peer restarted from an old checkpoint made its own version before catching up).
    const head = h.head()!;
    if (h.chain.pullingRound(head.round + 1)) return;
    // Before the first standby slot opens only the curator may act; the full rank is needed after.
    const election = h.election();
    const curator = h.peers.isCurator(election, now);
    if (!curator && now < h.slotOpensAt(1)) return;
    const rank = curator ? 0 : h.peers.rank(election, now);
    if (now < h.slotOpensAt(rank) && rank !== 0) return;
    const expected = h.expected(now);
    // A peer that has just (re)started has not yet heard every live peer announce itself: its
    // expected set may be a handful, so it must not close early on it.
    const viewComplete = now - h.startedAt() >= h.config.presenceIntervalMs;
    const allIn = viewComplete && expected.length >= h.config.minPeers && expected.every((peer) => h.deltas().has(peer));
    if (now < h.slotOpensAt(rank) && !allIn) return;
    // A sender whose last delta is still being pulled in the background (cut as a straggler) is
    // not offered again until that pull ends: one straggling pull per sender at a time.
    const offered = [...h.deltas()].filter(([from]) => !this.#latePulls.has(from));
    if (offered.length === 0) return;
    this.#active = true;
    const deltas: DeltaOffer[] = offered
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([from, advert]) => ({ from, advert, holders: h.peers.holdersOf(advert.delta, from, head.round + 1) }));
    const role = rank === 0 ? 'curator' : `standby ${rank}`;
    const held = offered.length < h.deltas().size ? ` (${h.deltas().size - offered.length} held back: their senders' last deltas are still being pulled)` : '';
    effects.push({ type: 'log', level: 'info', message: `round ${h.round()}: aggregating ${deltas.length} of ${expected.length} expected deltas as ${role}${held}` });
    const graceMs = h.config.collectionWindowMs * STRAGGLER_GRACE_SHARE_OF_WINDOW;
    effects.push({ type: 'aggregate', round: head.round + 1, base: head.hash, deltas, graceMs });
  }

  /** Fires when the collection window closes, then every curator deadline, until the round ends. */
  onCurateTimer(now: number, effects: Effect[]): void {
    const h = this.#host;
    const head = h.head();
    if (head === undefined || h.finished()) return;
    h.chain.pullEntitledChildren(now, effects);
    this.maybeCurate(now, effects);
    const election = h.election();
    const rank = h.peers.isCurator(election, now) ? 0 : h.peers.rank(election, now);
    if (h.deltas().size === 0 && !h.training() && !this.#active && now >= h.slotOpensAt(rank)) {
      // Our slot is open and nobody trained (the cohort draw can come out empty): train
      // ourselves, so that the round still gets a delta and ends.
      h.setTraining();
      effects.push({ type: 'log', level: 'info', message: `round ${h.round()}: no delta by our slot; training one ourselves` });
      effects.push({ type: 'train', round: h.round(), base: head.hash });
    }
    effects.push({ type: 'set-timer', timer: 'curate', delayMs: h.config.curatorDeadlineMs });
  }

  /**
   * Leaves out, for a while from the current round on, each peer whose delta for `round` could
   * not be pulled or was invalid.
   */
  penaliseRejected(round: number, rejected: readonly RejectedDelta[], effects: Effect[]): void {
    const h = this.#host;
    for (const { peer, delta, reason } of rejected) {
      effects.push({ type: 'log', level: 'warn', message: `round ${round}: rejected the delta ${delta.slice(0, 12)} from ${peer}: ${reason}` });
      if (peer === h.config.self) continue;
      const until = h.peers.penalise(peer, h.round());
      h.deltas().delete(peer);
      h.early().delete(peer);
      effects.push({ type: 'log', level: 'info', message: `${peer} is left out of rounds up to ${until}` });
    }
  }

  onAggregated(event: Extract<EngineEvent, { type: 'aggregated' }>, effects: Effect[]): void {
    const h = this.#host;
    this.#active = false;
    this.penaliseRejected(event.round, event.rejected, effects);
    for (const { peer, delta, reason } of event.late) {
      this.#latePulls.set(peer, delta);
      effects.push({ type: 'log', level: 'info', message: `round ${event.round}: the delta ${delta.slice(0, 12)} from ${peer} misses the round (${reason}); its pull goes on` });
    }
    const head = h.head();
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
      curator: h.config.self,
      bytes: event.bytes,
      ...(event.metrics === undefined ? {} : { metrics: event.metrics }),
      ...(event.patch === undefined ? {} : { patch: event.patch }),
    };
    const advert = advertOfHead(ours, h.config.task, event.now)!;
    // Publish even if another version for this round got here first: ours may hold deltas it
    // lacks, and every peer merges same-round siblings.
    effects.push({ type: 'publish', advert });
    h.peers.addHolder(event.version, h.config.self);
    if (head !== undefined && head.round === event.round - 1 && head.hash === event.base) {
      this.markSkippedSlots(ours, event.now, effects);
      h.adopt(ours, event.now, effects, true);
    } else if (head !== undefined && head.round === event.round && head.parent === event.base) {
      h.chain.keepOwn(advert);
      h.chain.mergeSiblings(event.round, event.base, effects);
    }
  }

  /**
   * A straggler's background pull ended. A delta that arrived only missed its round; one that
   * could not be pulled costs its sender a penalty, as a failed pull before the cut would have.
   */
  onLateDelta(event: Extract<EngineEvent, { type: 'late-delta' }>, effects: Effect[]): void {
    const h = this.#host;
    if (this.#latePulls.get(event.peer) === event.delta) this.#latePulls.delete(event.peer);
    if (event.failure === undefined) {
      effects.push({ type: 'log', level: 'info', message: `round ${event.round}: the delta ${event.delta.slice(0, 12)} from ${event.peer} arrived after its round was aggregated` });
    } else {
      this.penaliseRejected(event.round, [{ peer: event.peer, delta: event.delta, reason: `${event.failure} (after it was cut as a straggler)` }], effects);
    }
    if (h.head() !== undefined) this.maybeCurate(event.now, effects);
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
  markSkippedSlots(next: Head, now: number, effects: Effect[]): void {
    const h = this.#host;
    const head = h.head()!;
    const curator = next.curator;
    if (curator === undefined || next.round !== head.round + 1 || next.parent !== head.hash) return;
    const election = h.election();
    const round = head.round + 1;
    const before = h.livePeers(now)
      .filter((peer) => peer !== curator && (peer === h.config.self ? h.peers.isProven(peer, round) : h.peers.mayCurate(peer, round)) && election.ranksBefore(peer, curator))
      .sort((a, b) => (election.ranksBefore(a, b) ? -1 : 1));
    if (before.length === 0 || now < h.slotOpensAt(before.length)) return;
    before.forEach((peer, slot) => {
      const seen = h.peers.lastSeen(peer);
      if (peer === h.config.self || seen === undefined || seen < h.slotOpensAt(slot)) return;
      const until = h.peers.skippedSlot(peer, round);
      effects.push({ type: 'log', level: 'info', message: `round ${round}: ${peer} was live in its curation slot and made no version; it is not ranked as curator up to round ${until}` });
    });
  }
}
