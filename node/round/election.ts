/**
 * Who trains and who curates a round, decided by every peer alone from what all of them
 * know — the round number, the base version's hash and peer ids — with no extra messages.
 *
 *   score(purpose, round, base, peer) = sha256(purpose ‖ 0x00 ‖ decimal(round) ‖ 0x00 ‖ base ‖ 0x00 ‖ peer)
 *
 * over UTF-8 strings (base as lowercase hex, peer as its base58btc string). A peer is in round
 * r's cohort when the first 8 bytes of score("cohort", …) read as a big-endian fraction fall
 * below the cohort fraction; curators are ranked by score("curator", …) ascending (bytewise),
 * rank 0 is the curator and the next ranks its standbys.
 */
import { createHash } from 'node:crypto';
import type { Hash, PeerIdString } from '../../protocols/messages.ts';

function score(purpose: 'cohort' | 'curator' | 'audit', round: number, base: Hash, peer: PeerIdString): Buffer {
  return createHash('sha256').update(`${purpose}\0${round}\0${base}\0${peer}`, 'utf8').digest();
}

/** The first 64 bits of a score as a fraction in [0, 1). */
function scoreFraction(digest: Buffer): number {
  return (digest.readUInt32BE(0) * 2 ** 32 + digest.readUInt32BE(4)) / 2 ** 64;
}

export function inCohort(round: number, base: Hash, peer: PeerIdString, fraction: number): boolean {
  if (fraction >= 1) return true;
  return scoreFraction(score('cohort', round, base, peer)) < fraction;
}

/** Peers in curator order for the round: index 0 curates, index k is the k-th standby. */
export function curatorRanking(round: number, base: Hash, peers: Iterable<PeerIdString>): PeerIdString[] {
  const scored = [...new Set(peers)].map((peer) => ({ peer, digest: score('curator', round, base, peer) }));
  scored.sort((a, b) => Buffer.compare(a.digest, b.digest));
  return scored.map(({ peer }) => peer);
}

/**
 * The auditors of the version of `round` made from `parent` (PROTOCOL §7.15): the `count` of
 * `candidates` first by score("audit", round, parent, peer) ascending.
 */
export function auditorsOf(round: number, parent: Hash, candidates: Iterable<PeerIdString>, count: number): PeerIdString[] {
  const scored = [...new Set(candidates)].map((peer) => ({ peer, digest: score('audit', round, parent, peer) }));
  scored.sort((a, b) => Buffer.compare(a.digest, b.digest));
  return scored.slice(0, count).map(({ peer }) => peer);
}

/**
 * One round's election over one base, each peer's scores computed once: a peer consults them
 * on every delta it hears, and a sha256 per peer per delta is what limits a large network.
 */
export class RoundElection {
  readonly round: number;
  readonly base: Hash;
  readonly #cohortFraction: number;
  readonly #curatorScores = new Map<PeerIdString, Buffer>();
  readonly #cohort = new Map<PeerIdString, boolean>();

  constructor(round: number, base: Hash, cohortFraction: number) {
    this.round = round;
    this.base = base;
    this.#cohortFraction = cohortFraction;
  }

  inCohort(peer: PeerIdString): boolean {
    let member = this.#cohort.get(peer);
    if (member === undefined) {
      member = inCohort(this.round, this.base, peer, this.#cohortFraction);
      this.#cohort.set(peer, member);
    }
    return member;
  }

  /** Whether `a` ranks before `b` as curator. */
  ranksBefore(a: PeerIdString, b: PeerIdString): boolean {
    return Buffer.compare(this.#curatorScore(a), this.#curatorScore(b)) < 0;
  }

  #curatorScore(peer: PeerIdString): Buffer {
    let digest = this.#curatorScores.get(peer);
    if (digest === undefined) {
      digest = score('curator', this.round, this.base, peer);
      this.#curatorScores.set(peer, digest);
    }
    return digest;
  }
}
