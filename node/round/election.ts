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

function score(purpose: 'cohort' | 'curator', round: number, base: Hash, peer: PeerIdString): Buffer {
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
