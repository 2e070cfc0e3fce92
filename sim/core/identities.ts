/**
 * Simulated peers' identities: real Ed25519 keys and peer ids, derived from the peer's index, so
 * that simulated adverts carry the same signatures as real ones (protocols/adverts/statements.ts)
 * and a hostile simulated peer can forge no more than a real one. Peer `i` has the same id in
 * every run and scenario.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerIdString } from '../../protocols/messages.ts';

const byIndex = new Map<number, PrivateKey>();
const byPeer = new Map<PeerIdString, PrivateKey>();

/** The key of simulated peer `index`: its Ed25519 seed is sha256("gossipfl sim peer <index>"). */
export function simPeerKey(index: number): PrivateKey {
  let key = byIndex.get(index);
  if (key === undefined) {
    const seed = sha256(new TextEncoder().encode(`gossipfl sim peer ${index}`));
    const raw = new Uint8Array(64);
    raw.set(seed, 0);
    raw.set(ed25519.getPublicKey(seed), 32);
    key = privateKeyFromRaw(raw);
    byIndex.set(index, key);
    byPeer.set(peerIdFromPrivateKey(key).toString(), key);
  }
  return key;
}

/** The peer id of simulated peer `index`. */
export function simPeerId(index: number): PeerIdString {
  return peerIdFromPrivateKey(simPeerKey(index)).toString();
}

/** Makes `key`'s peer id known to `simKeyOf` (a run with the keys of a real federation). */
export function registerSimKey(key: PrivateKey): PeerIdString {
  const peer = peerIdFromPrivateKey(key).toString();
  byPeer.set(peer, key);
  return peer;
}

/** The private key of a simulated peer id made by `simPeerId` or `registerSimKey`. */
export function simKeyOf(peer: PeerIdString): PrivateKey | undefined {
  return byPeer.get(peer);
}
