/**
 * The part of the curator-mode round engine that follows the chain of versions (docs/PROTOCOL.md
 * §7.9, §7.10): version adverts kept within bounds, which versions are pulled and when (a child
 * of the head on its entitled curator's own advert, anything else once two peers vouch for it),
 * catching up from presence adverts, merging same-round siblings, adopting what was pulled, and
 * what a failed or invalid pull costs its advertiser. Pure, like the engine (engine.ts), which
 * owns the head, the round's timing and curation, and is reached through `ChainHost`.
 */
import type { Contributor, Hash, PeerIdString, VersionAdvert } from '../../protocols/messages.ts';
import type { Disownable } from './audits.ts';
import type { RoundElection } from './election.ts';
import type { Effect, EngineEvent, Head, MergeLeaf } from './events.ts';
import type { PeerBook } from './peer-book.ts';
import { advertOfHead, headFromAdvert, MAX_KNOWN_VERSIONS, VersionBook } from './version-book.ts';

/** What the chain follower needs of the engine: its head and round, their timing, and the steps that change them. */
export interface ChainHost {
  readonly self: PeerIdString;
  readonly task: string;
  readonly peers: PeerBook;
  head(): Head | undefined;
  /** The round being trained and curated (head round + 1). */
  round(): number;
  roundStartedAt(): number;
  election(): RoundElection;
  livePeers(now: number): PeerIdString[];
  /** Whether a delta or version based on `hash` builds on the head (the head, or a version merged into it). */
  acceptsBase(hash: Hash): boolean;
  slotOpensAt(rank: number): number;
  /** Makes `head` the head (a new round unless it is a same-round merge); `announce`: checkpoint and record it. */
  adopt(head: Head, now: number, effects: Effect[], announce: boolean): void;
  /** The head, caught up to without its advert, with its provenance now known. */
  fillProvenance(head: Head): void;
  markSkippedSlots(next: Head, now: number, effects: Effect[]): void;
  /** Aggregates if this peer may now (a pull that held it back has ended). */
  maybeCurate(now: number, effects: Effect[]): void;
  /** Whether a version must not be adopted: proven fraudulent, built on or merging one, or by a convicted curator (audits.ts). */
  disowns(version: Disownable): boolean;
}

/** A version being pulled: what adopting it would make the head, and whose advert asked for it. */
interface PendingPull {
  readonly head: Head;
  readonly from: PeerIdString;
}

const samplesOf = (contributors: readonly Contributor[]) => contributors.reduce((sum, c) => sum + c.samples, 0);

export class ChainFollower {
  readonly #host: ChainHost;
  readonly #peers: PeerBook;
  readonly #versions = new VersionBook();
  /** Versions being pulled. */
  readonly #fetching = new Map<Hash, PendingPull>();
  #merging = false;
  /** "theirHead>ourHead" pairs we re-published our head's advert for. */
  readonly #republishedFor = new Set<string>();
  /** The round in which we last said the known-version cap was reached (said once a round). */
  #capLoggedRound = -1;

  constructor(host: ChainHost) {
    this.#host = host;
    this.#peers = host.peers;
  }

  /** Version adverts kept (of the head's round and later). */
  get knownVersions(): number {
    return this.#versions.size;
  }

  /** `hash` became the head: it is no longer a version to pull. */
  adopted(hash: Hash): void {
    this.#versions.delete(hash);
  }

  /** Our own version of the head's round (a sibling of the head), to merge with it. */
  keepOwn(advert: VersionAdvert): void {
    this.#versions.set(advert.hash, { advert, from: this.#host.self });
  }

  mergeFailed(): void {
    this.#merging = false;
  }

  /**
   * A new round started from the head of round `headRound`: forgets versions of earlier rounds
   * and republish marks; returns the blobs still wanted (known and pending versions).
   */
  forgetBefore(headRound: number): Hash[] {
    this.#versions.forgetBefore(headRound);
    this.#republishedFor.clear();
    return [...this.#versions.hashes(), ...this.#fetching.keys()];
  }

  /** Whether a version of round `atLeast` or later is being pulled. */
  pullingRound(atLeast: number): boolean {
    for (const pending of this.#fetching.values()) if (pending.head.round >= atLeast) return true;
    return false;
  }

  /**
   * Whether version `hash` of `round`, not a child of the head, may be pulled: two other peers
   * vouch for it as that round's version (announced it as their head, built a delta on it, or
   * advertised it), or every other live peer does when fewer than two are live. One member's word
   * never moves a peer.
   */
  #vouched(hash: Hash, round: number, now: number): boolean {
    const others = this.#host.livePeers(now).length - 1;
    return this.#peers.vouchers(hash, round) >= Math.max(1, Math.min(2, others));
  }

  onPresence(from: PeerIdString, round: number, hash: Hash, now: number, effects: Effect[]): void {
    const head = this.#host.head();
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
      const advert = advertOfHead(head, this.#host.task, now);
      if (advert !== undefined && !this.#republishedFor.has(key)) {
        this.#republishedFor.add(key);
        effects.push({ type: 'publish', advert });
      }
      return;
    }
    const known = this.#versions.get(hash);
    if (known !== undefined) {
      this.pullIfVouched(hash, now, effects);
      return;
    }
    if (this.#fetching.has(hash) || this.pullingRound(round) || this.#versions.isRejected(hash) || this.#host.disowns({ hash })) return;
    if (this.#peers.isPenalised(from, this.#host.round()) || !this.#vouched(hash, round, now)) return;
    // Peers ahead of us vouch for a head whose version advert we missed: pull it to catch up.
    this.#fetching.set(hash, { head: { round, hash, parent: undefined, contributors: [], merged: [], curator: undefined, bytes: 0 }, from });
    effects.push({ type: 'log', level: 'info', message: `catching up: ${from} is at round ${round}, we are at ${head.round}` });
    effects.push({ type: 'fetch-version', hash, round, holders: this.#peers.holdersOf(hash, from, this.#host.round()) });
  }

  /**
   * A peer that joined or restarted after we adopted our head announces that head: it caught up
   * to it from presence adverts alone, after its version advert went out, and could never record
   * it. The head's curator publishes the advert again, once per such peer and head.
   */
  #republishForNewcomer(from: PeerIdString, now: number, effects: Effect[]): void {
    const head = this.#host.head()!;
    const joined = this.#peers.joinedAt(from);
    if (head.curator !== this.#host.self || joined === undefined || joined <= this.#host.roundStartedAt()) return;
    const key = `${from}>${head.hash}`;
    const advert = advertOfHead(head, this.#host.task, now);
    if (advert === undefined || this.#republishedFor.has(key)) return;
    this.#republishedFor.add(key);
    effects.push({ type: 'publish', advert });
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
      const until = this.#peers.penalise(from, this.#host.round());
      effects.push({ type: 'log', level: 'warn', message: `${from} advertised a third version for round ${advert.round}; ignored, and its adverts are ignored until round ${until}` });
      return false;
    }
    if (result.evicted !== undefined && this.#capLoggedRound !== this.#host.round()) {
      this.#capLoggedRound = this.#host.round();
      effects.push({ type: 'log', level: 'warn', message: `${MAX_KNOWN_VERSIONS} version adverts pending; dropped the oldest of ${result.evicted.from}, which sent ${result.evicted.held}` });
    }
    return true;
  }

  onVersion(from: PeerIdString, advert: VersionAdvert, now: number, effects: Effect[]): void {
    const head = this.#host.head();
    if (head === undefined || this.#versions.isRejected(advert.hash) || this.#peers.isPenalised(from, this.#host.round())) return;
    if (this.#host.disowns(advert)) return;
    if (advert.hash === head.hash && head.parent === undefined && head.round === advert.round) {
      // We caught up to this version without its advert: now we know where it came from.
      const filled = headFromAdvert(advert);
      this.#host.fillProvenance(filled);
      effects.push({ type: 'adopt', head: filled });
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
      this.pullIfVouched(advert.hash, now, effects);
      return;
    }
    if (advert.parent !== head.parent) return;
    if (advert.merged.length === 0) {
      this.mergeSiblings(advert.round, advert.parent, effects);
      return;
    }
    // Another peer's merge of our round: pull it if it covers every version we hold of the round.
    const ourLeaves = head.merged.length > 0 ? head.merged : [head.hash];
    if (ourLeaves.every((leaf) => advert.merged.includes(leaf)) && !this.#fetching.has(advert.hash)) {
      this.#fetching.set(advert.hash, { head: headFromAdvert(advert), from });
      effects.push({ type: 'fetch-version', hash: advert.hash, round: advert.round, holders: this.#peers.holdersOf(advert.hash, from, this.#host.round()), bytes: advert.bytes });
    }
  }

  /**
   * Pulls known version `hash` of a later round if it may be: a child of the head on its
   * advert's word, anything else once vouched for (see #vouched); one later-round pull at a time.
   */
  pullIfVouched(hash: Hash, now: number, effects: Effect[]): void {
    const head = this.#host.head();
    const known = this.#versions.get(hash);
    if (head === undefined || known === undefined || known.advert.round <= head.round || this.#fetching.has(hash)) return;
    const { advert, from } = known;
    if (this.#host.disowns(advert)) {
      this.#versions.delete(hash);
      return;
    }
    const child = advert.round === head.round + 1 && this.#host.acceptsBase(advert.parent);
    // A child is pulled on its curator's own advert if that curator is entitled by now (else it
    // waits for the slot that entitles it); a re-published or curator-less child, like any other
    // version, once two peers vouch for it.
    const onCuratorsWord = child && advert.curator !== undefined && from === advert.curator && this.#entitled(advert.curator, now);
    if (!onCuratorsWord && !this.#vouched(hash, advert.round, now)) return;
    if (this.pullingRound(advert.round + 1)) return;
    this.#fetching.set(hash, { head: headFromAdvert(advert), from });
    const patch = advert.patch === undefined ? {} : { patch: { hash: advert.patch, base: advert.parent } };
    effects.push({ type: 'fetch-version', hash, round: advert.round, holders: this.#peers.holdersOf(hash, from, this.#host.round()), bytes: advert.bytes, ...patch });
  }

  /**
   * Whether `curator` may have made the current round's version by `now` (§7.4, entitlement):
   * with `k` the peers it ranks after — live (this one included) and proven for the round, before
   * it in the ranking if it is proven, all of them if it is not — rank 0 and 1 always (one rank of
   * tolerance for views that differ), rank k ≥ 2 once slot k − 1 has opened. Local judgments
   * (penalties, missed rounds, skipped slots) are left out: they differ between peers.
   */
  #entitled(curator: PeerIdString, now: number): boolean {
    const election = this.#host.election();
    const round = election.round;
    const proven = this.#peers.isProven(curator, round);
    let rank = 0;
    for (const peer of this.#host.livePeers(now)) {
      if (peer !== curator && this.#peers.isProven(peer, round) && (!proven || election.ranksBefore(peer, curator))) rank++;
    }
    return rank <= 1 || now >= this.#host.slotOpensAt(rank - 1);
  }

  /** Pulls the children of the head that were waiting for their curator's slot, now that another slot opened. */
  pullEntitledChildren(now: number, effects: Effect[]): void {
    const round = this.#host.round();
    for (const { advert } of [...this.#versions.values()]) if (advert.round === round) this.pullIfVouched(advert.hash, now, effects);
  }

  /** All known versions of the head's round with the head's parent, as merge leaves. */
  mergeSiblings(round: number, parent: Hash, effects: Effect[]): void {
    const head = this.#host.head()!;
    const leaves = new Map<Hash, MergeLeaf>();
    const addLeaf = (hash: Hash, contributors: readonly Contributor[]) => leaves.set(hash, { hash, samples: samplesOf(contributors), holders: this.#peers.allHolders(hash) });
    if (head.merged.length === 0) addLeaf(head.hash, head.contributors);
    for (const leaf of head.merged) {
      const known = this.#versions.get(leaf);
      if (known !== undefined) addLeaf(leaf, known.advert.contributors);
    }
    for (const { advert, from } of this.#versions.values()) {
      if (advert.round === round && advert.parent === parent && advert.merged.length === 0 && !this.#peers.isPenalised(from, this.#host.round()) && !this.#host.disowns(advert)) {
        addLeaf(advert.hash, advert.contributors);
      }
    }
    const sorted = [...leaves.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
    if (sorted.length < 2 || this.#merging) return;
    this.#merging = true;
    effects.push({ type: 'log', level: 'warn', message: `round ${round} has ${sorted.length} versions with one parent (a partition healed?): merging them` });
    effects.push({ type: 'merge', round, parent, leaves: sorted });
  }

  onMerged(event: Extract<EngineEvent, { type: 'merged' }>, effects: Effect[]): void {
    this.#merging = false;
    const head = this.#host.head();
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
    this.#host.adopt(merged, event.now, effects, true);
    effects.push({
      type: 'publish',
      advert: advertOfHead(merged, this.#host.task, event.now)!,
    });
  }

  onFetched(hash: Hash, now: number, effects: Effect[]): void {
    const fetched = this.#fetching.get(hash);
    this.#fetching.delete(hash);
    const head = this.#host.head();
    const pending = fetched?.head;
    if (pending === undefined || head === undefined || this.#host.disowns(pending)) return;
    const newer = pending.round > head.round;
    const mergeOfOurRound = pending.round === head.round && pending.merged.length > 0 && pending.merged.length > head.merged.length;
    if (!newer && !mergeOfOurRound) return;
    if (newer) this.#reportSuperseded(head, pending, effects);
    // Published by its own curator (not re-published): the peers ranked before it let their slots pass.
    if (fetched!.from === pending.curator) this.#host.markSkippedSlots(pending, now, effects);
    this.#host.adopt(pending, now, effects, true);
  }

  /**
   * A version could not be pulled, or was invalid: the peer whose advert asked for it is left
   * out for a while, and an invalid version is never pulled again.
   */
  onFetchFailed(event: Extract<EngineEvent, { type: 'fetch-failed' }>, effects: Effect[]): void {
    const pending = this.#fetching.get(event.hash);
    this.#fetching.delete(event.hash);
    this.#versions.delete(event.hash);
    effects.push({ type: 'log', level: 'warn', message: `could not ${event.invalid === true ? 'use' : 'pull'} version ${event.hash.slice(0, 12)}: ${event.reason}` });
    if (event.invalid === true) this.#versions.reject(event.hash);
    if (pending !== undefined && pending.from !== this.#host.self) {
      const until = this.#peers.penalise(pending.from, this.#host.round());
      effects.push({ type: 'log', level: 'info', message: `${pending.from} advertised it; its adverts are ignored until round ${until}` });
    }
    this.#host.maybeCurate(event.now, effects); // it may have been held back by that pull
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
