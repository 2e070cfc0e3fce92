/**
 * An allow-list connection gater: with a list, this peer neither dials nor accepts (on any
 * transport, TCP and WebRTC alike) a connection to or from a peer outside it, and does not
 * relay for one. Without a list the gater is open.
 *
 * Private and loopback addresses are always allowed: libp2p's Node default gater allows
 * everything, but its browser build denies private addresses — this gater never does, so a LAN
 * or loopback federation works in both.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr';
import { GossipflError } from '../errors.ts';
import { errorMessage } from './files.ts';

export class AllowListError extends GossipflError {
  override name = 'AllowListError';
}

/**
 * Checks and normalises allow-list entries (PeerId strings or PeerIds); a malformed entry is an
 * AllowListError naming it.
 */
export function parseAllowList(entries: Iterable<string | PeerId>): ReadonlySet<string> {
  const allowed = new Set<string>();
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      allowed.add(entry.toString());
      continue;
    }
    const text = entry.trim();
    try {
      allowed.add(peerIdFromString(text).toString());
    } catch (error) {
      throw new AllowListError(`allow-list entry "${text}" is not a peer ID (${errorMessage(error)}); use the "12D3Koo…" IDs the peers print at start`);
    }
  }
  return allowed;
}

/**
 * A gater admitting only `allowed` peers, or every peer when `allowed` is undefined.
 * Include the local peer's own ID in the list (createHost does) so its own addresses are kept.
 */
export function allowListGater(allowed: Iterable<string | PeerId> | undefined): ConnectionGater {
  if (allowed === undefined) return { denyDialMultiaddr: () => false };
  const peers = parseAllowList(allowed);
  const denied = (peer: PeerId): boolean => !peers.has(peer.toString());
  return {
    denyDialPeer: denied,
    // An address naming a peer is refused before any socket opens; one without a peer ID is
    // allowed here and checked once the handshake reveals who answered.
    denyDialMultiaddr: (address: Multiaddr) => {
      const id = address.getComponents().findLast((component) => component.code === CODE_P2P)?.value;
      return id !== undefined && !peers.has(id);
    },
    denyOutboundConnection: denied,
    denyInboundEncryptedConnection: denied,
    denyOutboundEncryptedConnection: denied,
    denyInboundUpgradedConnection: denied,
    denyOutboundUpgradedConnection: denied,
    denyInboundRelayReservation: denied,
    denyOutboundRelayedConnection: (source, destination) => denied(source) || denied(destination),
    denyInboundRelayedConnection: (_relay, remotePeer) => denied(remotePeer),
    // Do not even store addresses of peers we will never dial (from mDNS, identify, PX…).
    filterMultiaddrForPeer: (peer) => !denied(peer),
  };
}
