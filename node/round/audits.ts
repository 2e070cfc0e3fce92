/**
 * Audits and fraud proofs (docs/PROTOCOL.md §7.15), the part of the curator-mode engine that
 * checks curators instead of trusting them. Aggregation is deterministic (§7.8), so anyone holding
 * a version's parent and listed deltas recomputes it bit for bit:
 *
 * - the auditors of each curated version — the `auditors` live proven peers first by
 *   score("audit", round, parent, peer), its curator left out — recompute it once they adopt it;
 * - a mismatch convicts the curator: the auditor publishes a fraud advert (the version as its
 *   curator signed it, and the recomputed hash);
 * - every peer that receives a fraud advert checks it by recomputing; a version that does not
 *   recompute convicts its curator, one that does convicts the accuser. No vote: each peer judges
 *   by its own arithmetic, so honest peers agree.
 * - A convicted peer never counts as proven again (it never curates); its version and everything
 *   built on it are abandoned, and a peer whose head is one steps back to the version's parent,
 *   whose round is then curated again by the next entitled peer.
 * Pure, like the engine; reached through `AuditHost`.
 */
import type { FraudAdvert, Hash, PeerIdString, VersionClaim } from '../../protocols/messages.ts';
import { auditorsOf } from './election.ts';
import type { AuditCase, Effect, EngineEvent, Head } from './events.ts';
import type { PeerBook } from './peer-book.ts';

/** What `disowns` looks at of a version (a head, an advert). */
export interface Disownable {
  readonly hash: Hash;
  readonly parent?: Hash | undefined;
  readonly merged?: readonly Hash[];
  readonly curator?: PeerIdString | undefined;
}

export interface AuditHost {
  readonly self: PeerIdString;
  readonly task: string;
  readonly peers: PeerBook;
  /** Auditors drawn per curated version (§7.15). */
  readonly auditors: number;
  head(): Head | undefined;
  livePeers(now: number): PeerIdString[];
  /** Makes `head`, an ancestor of the current head, the head again (its next round starts afresh). */
  stepBack(head: Head, now: number, effects: Effect[]): void;
}

/** Heads remembered to step back to: a fraud proof comes within a round or two. */
const RECENT_HEADS = 16;
/** Versions judged or abandoned, remembered (oldest forgotten first). */
const MAX_REMEMBERED = 1024;
/** A fraud advert about a version more than this many rounds behind the head is not checked. */
const AUDIT_HORIZON_ROUNDS = 4;
/** Proofs kept to show peers still on a fraudulent version, and the (peer, version) pairs shown. */
const MAX_PROOFS = 64;
const MAX_SHOWN = 4096;

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

export class Audits {
  readonly #host: AuditHost;
  /** Heads we adopted lately, by hash. */
  readonly #recent = new Map<Hash, Head>();
  /** Versions being recomputed, with the peers accusing them. */
  readonly #checking = new Map<Hash, Set<PeerIdString>>();
  /** Versions recomputed: whether they held. */
  readonly #verdicts = new Map<Hash, 'holds' | 'fraud'>();
  /** Versions proven fraudulent, and versions built on them. */
  readonly #abandoned = new Map<Hash, true>();
  /** Fraud adverts of versions we found fraudulent, by version hash. */
  readonly #proofs = new Map<Hash, FraudAdvert>();
  /** "peer version" pairs a proof was shown to. */
  readonly #shown = new Map<string, true>();

  constructor(host: AuditHost) {
    this.#host = host;
  }

  /**
   * Whether a version must not be adopted: abandoned, built on an abandoned one, a merge of one,
   * or made by a convicted curator. A version disowned for the first time is remembered as
   * abandoned, so that what is built on it or merges it is disowned too.
   */
  disowns(version: Disownable): boolean {
    if (this.#abandoned.has(version.hash)) return true;
    const parentAbandoned = version.parent !== undefined && this.#abandoned.has(version.parent);
    const mergesAbandoned = version.merged?.some((leaf) => this.#abandoned.has(leaf)) ?? false;
    const byConvict = version.curator !== undefined && this.#host.peers.isConvicted(version.curator);
    const disowned = parentAbandoned || mergesAbandoned || byConvict;
    if (disowned) remember(this.#abandoned, version.hash, true, MAX_REMEMBERED);
    return disowned;
  }

  /** `head` became the head: remember it, and audit it if we are one of its auditors. */
  adopted(head: Head, now: number, effects: Effect[]): void {
    remember(this.#recent, head.hash, head, RECENT_HEADS);
    const version = claimOf(head);
    if (version === undefined || version.curator === this.#host.self || this.#checking.has(version.hash) || this.#verdicts.has(version.hash)) return;
    const candidates = this.#host.livePeers(now).filter((peer) => peer !== version.curator && this.#host.peers.isProven(peer, version.round));
    if (!auditorsOf(version.round, version.parent, candidates, this.#host.auditors).includes(this.#host.self)) return;
    this.#check(version, undefined, effects);
  }

  /** A fraud advert: check the accusation by recomputing, unless already judged. */
  onFraud(from: PeerIdString, advert: FraudAdvert, effects: Effect[]): void {
    const { version } = advert;
    const peers = this.#host.peers;
    if (from === this.#host.self || peers.isConvicted(from) || version.curator === undefined) return;
    const verdict = this.#verdicts.get(version.hash);
    if (verdict === 'holds') {
      this.#convict(from, `it accused version ${version.hash.slice(0, 12)} (round ${version.round}), which recomputes exactly`, effects);
      return;
    }
    if (verdict === 'fraud' || peers.isConvicted(version.curator)) return;
    const pending = this.#checking.get(version.hash);
    if (pending !== undefined) {
      pending.add(from);
      return;
    }
    const headRound = this.#host.head()?.round ?? 0;
    if (version.round + AUDIT_HORIZON_ROUNDS < headRound) return;
    effects.push({ type: 'log', level: 'info', message: `${from} says version ${version.hash.slice(0, 12)} (round ${version.round}) by ${version.curator} does not recompute; checking` });
    this.#check(version, from, effects);
  }

  #check(version: VersionClaim, accuser: PeerIdString | undefined, effects: Effect[]): void {
    this.#checking.set(version.hash, new Set(accuser === undefined ? [] : [accuser]));
    const holders = [...new Set([...(accuser === undefined ? [] : [accuser]), version.curator!, ...version.contributors.map((c) => c.peer)])].filter((p) => p !== this.#host.self);
    effects.push({ type: 'audit', audit: { version, accusers: accuser === undefined ? [] : [accuser], holders } });
  }

  onAudited(event: Extract<EngineEvent, { type: 'audited' }>, effects: Effect[]): void {
    const { version } = event.audit;
    const accusers = [...(this.#checking.get(version.hash) ?? event.audit.accusers)];
    this.#checking.delete(version.hash);
    const curator = version.curator!;
    if (event.recomputed === undefined) {
      effects.push({ type: 'log', level: 'warn', message: `could not recompute version ${version.hash.slice(0, 12)} (round ${version.round}) by ${curator}: ${event.failure ?? 'unknown reason'}` });
      return;
    }
    if (event.recomputed === version.hash) {
      remember(this.#verdicts, version.hash, 'holds', MAX_REMEMBERED);
      for (const accuser of accusers) this.#convict(accuser, `it accused version ${version.hash.slice(0, 12)} (round ${version.round}), which recomputes exactly`, effects);
      return;
    }
    remember(this.#verdicts, version.hash, 'fraud', MAX_REMEMBERED);
    remember(this.#abandoned, version.hash, true, MAX_REMEMBERED);
    this.#convict(curator, `its version ${version.hash.slice(0, 12)} (round ${version.round}) recomputes to ${event.recomputed.slice(0, 12)}, not to itself`, effects);
    const proof: FraudAdvert = { kind: 'fraud', task: this.#host.task, round: version.round, version, recomputed: event.recomputed, sentAt: event.now };
    remember(this.#proofs, version.hash, proof, MAX_PROOFS);
    if (accusers.length === 0) effects.push({ type: 'publish', advert: proof });
    this.#stepBackFrom(version, event.now, effects);
  }

  /**
   * `peer` announces `head` as its head (presence): if we proved that version fraudulent, it
   * missed the proof (it was away, or joined since) — publish it again, once per peer and version.
   */
  onPresence(peer: PeerIdString, head: Hash, now: number, effects: Effect[]): void {
    const proof = this.#proofs.get(head);
    const key = `${peer} ${head}`;
    if (proof === undefined || peer === this.#host.self || this.#shown.has(key)) return;
    remember(this.#shown, key, true, MAX_SHOWN);
    effects.push({ type: 'log', level: 'info', message: `${peer} is still on version ${head.slice(0, 12)}, proven fraudulent: publishing the proof again` });
    effects.push({ type: 'publish', advert: { ...proof, sentAt: now } });
  }

  #convict(peer: PeerIdString, why: string, effects: Effect[]): void {
    if (peer === this.#host.self || this.#host.peers.isConvicted(peer)) return;
    this.#host.peers.convict(peer);
    effects.push({ type: 'log', level: 'warn', message: `${peer} is proven dishonest and never curates again: ${why}` });
    effects.push({ type: 'convicted', peer, reason: why });
  }

  /** If the head is `version`, a merge of it, or built on either, steps back to `version`'s parent. */
  #stepBackFrom(version: VersionClaim, now: number, effects: Effect[]): void {
    let walk = this.#host.head();
    for (let depth = 0; walk !== undefined && walk.round >= version.round && depth < RECENT_HEADS; depth++) {
      if (walk.hash === version.hash || walk.merged.includes(version.hash)) {
        const parent = this.#recent.get(version.parent);
        if (parent === undefined) {
          effects.push({ type: 'log', level: 'warn', message: `our head is built on the abandoned version ${version.hash.slice(0, 12)}, but its parent is not among our recent heads; waiting for the federation's next version` });
          return;
        }
        effects.push({ type: 'log', level: 'warn', message: `abandoning version ${version.hash.slice(0, 12)} (round ${version.round}) and what was built on it: back to round ${parent.round} (${parent.hash.slice(0, 12)})` });
        this.#host.stepBack(parent, now, effects);
        return;
      }
      walk = walk.parent === undefined ? undefined : this.#recent.get(walk.parent);
    }
  }
}

/** A curated head as its curator signed it; undefined for merges, genesis and heads without provenance. */
function claimOf(head: Head): VersionClaim | undefined {
  if (head.parent === undefined || head.curator === undefined || head.signature === undefined || head.merged.length > 0 || head.contributors.length === 0) return undefined;
  return {
    round: head.round,
    hash: head.hash,
    parent: head.parent,
    bytes: head.bytes,
    contributors: head.contributors,
    merged: [],
    curator: head.curator,
    signature: head.signature,
    ...(head.patch === undefined ? {} : { patch: head.patch }),
  };
}
