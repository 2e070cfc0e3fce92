/**
 * What a curator-mode engine knows of the other peers, judged only by what they did: who is
 * live, the round each last announced, who holds which blob, whether a peer delivers the deltas
 * it is expected to, and which peers are serving a penalty for a blob they advertised and did
 * not serve, or served invalid (docs/PROTOCOL.md §7.2, §7.3, §7.14). Pure, like the engine: every
 * call carries the time.
 */
import type { Hash, PeerIdString } from '../../protocols/messages.ts';
import type { RoundElection } from './election.ts';

/** Rounds a peer is left out for after its first offence; doubled with each further offence, up to the cap. */
export const PENALTY_ROUNDS = 2;
export const MAX_PENALTY_ROUNDS = 1024;
/** A peer clean for this many rounds after its penalty ended starts again from its first offence. */
export const CLEAN_ROUNDS = 32;
/** With every peer in every cohort, a peer may curate for this many rounds after a version it contributed to or curated. */
export const PROVEN_ROUNDS_AT_FULL_COHORT = 8;

/** How many rounds a contribution or curation keeps a peer eligible to curate: 8 / cohort fraction, rounded up. */
export function provenRounds(cohortFraction: number): number {
  return Math.ceil(PROVEN_ROUNDS_AT_FULL_COHORT / cohortFraction);
}

interface Penalty {
  /** The peer is left out of rounds up to and including this one. */
  readonly untilRound: number;
  /** Offences since it was last clean for MAX_PENALTY_ROUNDS rounds (the next penalty doubles). */
  readonly offences: number;
}

export class PeerBook {
  readonly #self: PeerIdString;
  readonly #peerTimeoutMs: number;
  readonly #lastSeen = new Map<PeerIdString, number>();
  /** When each peer last became live. */
  readonly #joinedAt = new Map<PeerIdString, number>();
  /** The round each peer last announced, and when we heard it. */
  readonly #announced = new Map<PeerIdString, { readonly round: number; readonly at: number }>();
  readonly #holders = new Map<Hash, Set<PeerIdString>>();
  /** Who said `hash` is the version of `round` ("round hash" keys): its vouchers. */
  readonly #vouchers = new Map<string, Set<PeerIdString>>();
  /** Peers that missed the last round they were expected in and have sent no delta since. */
  readonly #missed = new Set<PeerIdString>();
  readonly #penalties = new Map<PeerIdString, Penalty>();
  /** Peers that let their curation slot pass while live: not ranked until the round given. */
  readonly #skippedSlots = new Map<PeerIdString, Penalty>();
  /** The last round each peer may curate in on the strength of a version it contributed to or curated. */
  readonly #provenUntil = new Map<PeerIdString, number>();
  readonly #provenRounds: number;
  /** Peers proven dishonest by a checked fraud proof (§7.15): never proven again. */
  readonly #convicted = new Set<PeerIdString>();
  /** The latest round any proof lasts to (while no proof lasts to a round, every peer counts as proven in it). */
  #latestProof = -Infinity;
  /** Bumped whenever the peers that may curate can have changed (liveness, delivery, penalties). */
  #epoch = 0;
  /** Our curator rank, valid while the election and eligible set are unchanged and no live peer can have timed out. */
  #rankCache: { readonly election: RoundElection; readonly epoch: number; readonly validUntil: number; readonly rank: number } | undefined;
  /** A live peer that ranks before us in an election (so we are not its curator). */
  #outranked: { readonly election: RoundElection; readonly by: PeerIdString } | undefined;

  constructor(self: PeerIdString, peerTimeoutMs: number, provenRounds: number) {
    this.#self = self;
    this.#peerTimeoutMs = peerTimeoutMs;
    this.#provenRounds = provenRounds;
  }

  // --- liveness ---------------------------------------------------------------------------

  /** Any advert from `peer` shows it live. */
  heard(peer: PeerIdString, now: number): void {
    if (!this.isLive(peer, now)) {
      this.#epoch++;
      this.#joinedAt.set(peer, now);
    }
    this.#lastSeen.set(peer, now);
  }

  /** When `peer` last became live (joined, restarted, reconnected), if it is known. */
  joinedAt(peer: PeerIdString): number | undefined {
    return this.#joinedAt.get(peer);
  }

  isLive(peer: PeerIdString, now: number): boolean {
    const seen = this.#lastSeen.get(peer);
    return seen !== undefined && now - seen <= this.#peerTimeoutMs;
  }

  /** Peers heard from within the peer timeout, this one included (first). */
  livePeers(now: number): PeerIdString[] {
    const live = [this.#self];
    for (const [peer, seen] of this.#lastSeen) if (now - seen <= this.#peerTimeoutMs) live.push(peer);
    return live;
  }

  /** Forgets peers silent for four peer timeouts. */
  forgetSilent(now: number): void {
    for (const [peer, seen] of this.#lastSeen) {
      if (now - seen <= this.#peerTimeoutMs * 4) continue;
      this.#lastSeen.delete(peer);
      this.#joinedAt.delete(peer);
      this.#announced.delete(peer);
      this.#missed.delete(peer);
    }
  }

  /** A presence advert says where the peer is, outright (a restarted peer may go back). */
  setRound(peer: PeerIdString, round: number, now: number): void {
    this.#announced.set(peer, { round, at: now });
  }

  /** A delta or version advert shows its sender at `round` at least. */
  raiseRound(peer: PeerIdString, round: number, now: number): void {
    const known = this.#announced.get(peer);
    this.#announced.set(peer, { round: Math.max(known?.round ?? 0, round), at: now });
  }

  /** The round `peer` announced at or after `since`, if it did. */
  roundSince(peer: PeerIdString, since: number): number | undefined {
    const announced = this.#announced.get(peer);
    return announced !== undefined && announced.at >= since ? announced.round : undefined;
  }

  // --- curator ranking over the live peers that behave ---------------------------------

  /**
   * Whether `peer` may curate round `round`: it is not serving a penalty and did not miss the last
   * round it was expected in. A member that does not deliver is skipped, not waited for, when it
   * ranks first: the next eligible peer takes its slot. Peers' views may differ for a moment (one
   * heard a delta another did not); two peers that both think they curate make sibling versions,
   * which every peer merges (§7.9).
   */
  /**
   * `peer` is proven dishonest (§7.15: its version did not recompute, or it accused an honest
   * one): it never counts as proven again, so it never curates nor ranks before anyone.
   */
  convict(peer: PeerIdString): void {
    this.#convicted.add(peer);
    this.#epoch++;
  }

  isConvicted(peer: PeerIdString): boolean {
    return this.#convicted.has(peer);
  }

  mayCurate(peer: PeerIdString, round: number): boolean {
    const skipped = this.#skippedSlots.get(peer);
    return this.isProven(peer, round) && !this.#missed.has(peer) && !this.isPenalised(peer, round) && (skipped === undefined || round > skipped.untilRound);
  }

  /** `peer` contributed to, or curated, the version of `round` that we adopted. */
  proved(peer: PeerIdString, round: number): void {
    const until = round + this.#provenRounds;
    if ((this.#provenUntil.get(peer) ?? -Infinity) >= until) return;
    this.#provenUntil.set(peer, until);
    this.#latestProof = Math.max(this.#latestProof, until);
    this.#epoch++;
  }

  /**
   * Whether `peer` has shown within the last provenRounds rounds before `round` that it delivers:
   * a version we adopted lists it as a contributor or as its curator. A member whose deltas are
   * never aggregated (never served, always too slow, always invalid) never curates, so it cannot
   * hold a round for a curator deadline. While no version we adopted tells (the first round from
   * genesis, a head caught up to without its provenance), every peer counts as proven.
   */
  isProven(peer: PeerIdString, round: number): boolean {
    if (this.#convicted.has(peer)) return false;
    return this.#latestProof < round || (this.#provenUntil.get(peer) ?? -Infinity) >= round;
  }


  /** When `peer` was last heard from, if it was. */
  lastSeen(peer: PeerIdString): number | undefined {
    return this.#lastSeen.get(peer);
  }

  /**
   * `peer` was live during its curation slot of round `round` and made no version: it is not
   * ranked (its deltas still count) until round `round + min(1024, 2^k)` for its k-th time, k
   * restarting once it has been clean for CLEAN_ROUNDS rounds. Returns the last round it is not ranked in.
   */
  skippedSlot(peer: PeerIdString, round: number): number {
    return this.#strike(this.#skippedSlots, peer, round);
  }

  /**
   * Whether we rank first in `election` among the live peers that may curate. Stops at the first
   * such peer that outranks us and remembers it, so on average a peer compares itself with a handful.
   */
  isCurator(election: RoundElection, now: number): boolean {
    const outranked = this.#outranked;
    const round = election.round;
    if (!this.isProven(this.#self, round)) return this.rank(election, now) === 0;
    if (outranked !== undefined && outranked.election === election && this.isLive(outranked.by, now) && this.mayCurate(outranked.by, round)) return false;
    for (const [peer, seen] of this.#lastSeen) {
      if (peer !== this.#self && now - seen <= this.#peerTimeoutMs && this.mayCurate(peer, round) && election.ranksBefore(peer, this.#self)) {
        this.#outranked = { election, by: peer };
        return false;
      }
    }
    return true;
  }

  /**
   * Our place in `election`'s curator ranking over the live peers that may curate (0: curator).
   * Unproven ourselves (§7.4), we rank after every eligible peer: the last standby.
   */
  rank(election: RoundElection, now: number): number {
    const cached = this.#rankCache;
    if (cached !== undefined && cached.election === election && cached.epoch === this.#epoch && now <= cached.validUntil) return cached.rank;
    const last = !this.isProven(this.#self, election.round);
    let rank = 0;
    let validUntil = Infinity;
    for (const [peer, seen] of this.#lastSeen) {
      if (peer === this.#self || now - seen > this.#peerTimeoutMs || !this.mayCurate(peer, election.round)) continue;
      validUntil = Math.min(validUntil, seen + this.#peerTimeoutMs);
      if (last || election.ranksBefore(peer, this.#self)) rank++;
    }
    this.#rankCache = { election, epoch: this.#epoch, validUntil, rank };
    return rank;
  }

  // --- blob holders -----------------------------------------------------------------------

  addHolder(hash: Hash, peer: PeerIdString): void {
    let holders = this.#holders.get(hash);
    if (holders === undefined) this.#holders.set(hash, (holders = new Set()));
    holders.add(peer);
  }

  /** Every peer known to hold `hash` (this one included, if it does). */
  allHolders(hash: Hash): PeerIdString[] {
    return [...(this.#holders.get(hash) ?? [])];
  }

  /** Peers to pull `hash` from: `first` (if given) then the others; never this peer; penalised peers last. */
  holdersOf(hash: Hash, first?: PeerIdString, round = Infinity): PeerIdString[] {
    const others = this.allHolders(hash).filter((peer) => peer !== this.#self && peer !== first);
    const ordered = first !== undefined && first !== this.#self ? [first, ...others] : others;
    return [...ordered.filter((peer) => !this.isPenalised(peer, round)), ...ordered.filter((peer) => this.isPenalised(peer, round))];
  }

  /**
   * `peer` said `hash` is the version of `round`: its presence head, the base of its delta for
   * `round + 1`, or a version it advertised. Holding a blob is not enough: everyone holds the
   * genesis version, and it is the version of round 0 only.
   */
  vouch(hash: Hash, round: number, peer: PeerIdString): void {
    const key = `${round} ${hash}`;
    let vouchers = this.#vouchers.get(key);
    if (vouchers === undefined) this.#vouchers.set(key, (vouchers = new Set()));
    vouchers.add(peer);
  }

  /** How many other peers said `hash` is the version of `round`. */
  vouchers(hash: Hash, round: number): number {
    let count = 0;
    for (const peer of this.#vouchers.get(`${round} ${hash}`) ?? []) if (peer !== this.#self) count++;
    return count;
  }

  /** Forgets the holders and vouchers of every blob not in `wanted`. */
  keepHoldersOf(wanted: ReadonlySet<Hash>): void {
    for (const hash of this.#holders.keys()) if (!wanted.has(hash)) this.#holders.delete(hash);
    for (const key of this.#vouchers.keys()) if (!wanted.has(key.slice(key.indexOf(' ') + 1))) this.#vouchers.delete(key);
  }

  // --- behaviour --------------------------------------------------------------------------

  /** `peer` sent a delta: whatever it missed before, it delivers again. */
  delivered(peer: PeerIdString): void {
    if (this.#missed.delete(peer)) this.#epoch++;
  }

  /** `peer` was expected in a round that closed without its delta. */
  missed(peer: PeerIdString): void {
    if (!this.#missed.has(peer)) this.#epoch++;
    this.#missed.add(peer);
  }

  /** Whether `peer` missed the last round it was expected in and sent no delta since: not waited for. */
  isUnreliable(peer: PeerIdString): boolean {
    return this.#missed.has(peer);
  }

  /**
   * `peer` advertised a blob it did not serve, or that was invalid, in round `round`: it is left
   * out — not waited for, not ranked as curator, its deltas not aggregated, its versions not
   * pulled — until round `round + penalty`: 2 rounds, doubling with each offence up to 1,024, until
   * it has been clean for CLEAN_ROUNDS rounds. Returns the last round it is left out of.
   */
  penalise(peer: PeerIdString, round: number): number {
    return this.#strike(this.#penalties, peer, round);
  }

  #strike(book: Map<PeerIdString, Penalty>, peer: PeerIdString, round: number): number {
    if (peer === this.#self) return round;
    const previous = book.get(peer);
    const offences = (previous?.offences ?? 0) + 1;
    const untilRound = Math.max(previous?.untilRound ?? 0, round + Math.min(MAX_PENALTY_ROUNDS, PENALTY_ROUNDS * 2 ** (offences - 1)));
    book.set(peer, { untilRound, offences });
    this.#epoch++;
    return untilRound;
  }

  isPenalised(peer: PeerIdString, round: number): boolean {
    const penalty = this.#penalties.get(peer);
    return penalty !== undefined && round <= penalty.untilRound;
  }

  /** Forgets the offences of peers clean for CLEAN_ROUNDS rounds before `round`, and proofs that ended before it. */
  forgetPenaltiesBefore(round: number): void {
    for (const book of [this.#penalties, this.#skippedSlots]) {
      for (const [peer, penalty] of book) if (penalty.untilRound < round - CLEAN_ROUNDS) book.delete(peer);
    }
    for (const [peer, until] of this.#provenUntil) if (until < round) this.#provenUntil.delete(peer);
  }
}
