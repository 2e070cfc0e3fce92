/**
 * The libp2p assembly one gossipfl peer runs: TCP and/or WebRTC Direct, noise, yamux, identify
 * and gossipsub, with optional bootstrap list, mDNS, pre-shared key (private network) and
 * allow-list. It knows nothing of rounds or models: protocols register their handlers and
 * topics on the returned node.
 *
 * `createHost` returns the started libp2p node itself, typed `Host` = `Libp2p<HostServices>`:
 * `host.services.pubsub` is gossipsub, `host.services.identify` is identify, and everything
 * else (dial, handle, getConnections, stop…) is plain libp2p. Stop it with `host.stop()`.
 */
import { createHash } from 'node:crypto';
import { gossipsub, StrictSign, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub';
import { identify, type Identify } from '@libp2p/identify';
import { bootstrap } from '@libp2p/bootstrap';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import { GossipflError } from '../errors.ts';
import { errorMessage } from './files.ts';
import { allowListGater, parseAllowList } from './gater.ts';
import { pskProtector } from './psk-protector.ts';
import type { SwarmKey } from './swarm-key.ts';

export class HostConfigError extends GossipflError {
  override name = 'HostConfigError';
}

/** A type alias, not an interface: libp2p's ServiceMap needs an implicit index signature. */
export type HostServices = {
  identify: Identify;
  pubsub: GossipSub;
};

/** A started libp2p node with gossipfl's services. */
export type Host = Libp2p<HostServices>;

/**
 * Gossipsub's IP-colocation score (P6) penalises many peers behind one IP address:
 * - `penalise`: gossipsub's default, for the open internet;
 * - `allow-loopback` (default): 127.0.0.1 and ::1 are exempt, so many peers on one machine work;
 * - `off`: no penalty at all, for a LAN behind one NAT or a lab cluster.
 */
export type IpColocationPolicy = 'penalise' | 'allow-loopback' | 'off';

export interface MdnsOptions {
  /** Milliseconds between mDNS queries. Default 10 000. */
  readonly intervalMs?: number;
  /** The DNS-SD service name; peers only find peers using the same one. Default `_p2p._udp.local`. */
  readonly serviceTag?: string;
}

export interface ConnectionLimits {
  /** Default 300 (libp2p's). */
  readonly maxConnections?: number;
  /** Inbound connections accepted per second from one host. Default 100 (libp2p: 5). */
  readonly inboundConnectionThreshold?: number;
  /** Inbound connections still upgrading at once. Default 64 (libp2p: 10). */
  readonly maxIncomingPendingConnections?: number;
  /** Milliseconds to dial one peer. Default 10 000. */
  readonly dialTimeoutMs?: number;
}

/** Gossipsub settings callers may change; the signature policy is always StrictSign. */
export type PubsubOverrides = Partial<Omit<GossipsubOpts, 'globalSignaturePolicy'>>;

export interface HostOptions {
  /** The peer's key, e.g. `(await loadOrCreateIdentity(path)).privateKey`. */
  readonly privateKey: PrivateKey;
  /**
   * Addresses to listen on. Default: `/ip4/0.0.0.0/tcp/0` when TCP is on, plus
   * `/ip4/0.0.0.0/udp/0/webrtc-direct` when WebRTC is on. Tests use `/ip4/127.0.0.1/...`.
   */
  readonly listen?: readonly string[];
  /** The TCP transport. Default true. */
  readonly tcp?: boolean;
  /** The WebRTC Direct transport (UDP, no relay needed between Node peers). Default false. */
  readonly webrtc?: boolean;
  /** Multiaddrs (with /p2p/<id>) dialled at start and kept tagged. */
  readonly bootstrap?: readonly string[];
  /** mDNS discovery on the LAN; discovered peers are dialled. Default off. */
  readonly mdns?: boolean | MdnsOptions;
  /**
   * Private network key: only peers with the same key complete a TCP connection. It does not
   * cover WebRTC, so with `webrtc: true` an `allowList` is required too.
   */
  readonly swarmKey?: SwarmKey;
  /** PeerIds admitted (dial and accept); undefined admits everyone. This peer is always added. */
  readonly allowList?: Iterable<string | PeerId>;
  /** Default `allow-loopback`. */
  readonly ipColocation?: IpColocationPolicy;
  readonly connectionLimits?: ConnectionLimits;
  /** Escape hatch for gossipsub options (e.g. `allowedTopics`, `maxInboundDataLength`). */
  readonly pubsub?: PubsubOverrides;
}

const LOOPBACK_IPS = ['127.0.0.1', '::1'];

/** Builds, starts and returns the node; on a start failure nothing is left running. */
export async function createHost(options: HostOptions): Promise<Host> {
  const config = await hostConfig(options);
  let node: Host;
  try {
    node = await createLibp2p(config);
  } catch (error) {
    throw new HostConfigError(`cannot start the libp2p host: ${withoutStack(errorMessage(error))}`, { cause: error });
  }
  if (options.mdns !== undefined && options.mdns !== false) dialDiscoveredPeers(node);
  return node;
}

/**
 * The libp2p configuration `createHost` uses (exposed for inspection and tests). WebRTC and mDNS
 * are imported only when turned on: @libp2p/webrtc alone adds about 17 MiB to the memory of every
 * peer process that loads it. The pre-shared key uses our PSK v1 protector (psk-protector.ts),
 * not @libp2p/pnet, whose WASM cipher runs out of memory under ordinary traffic.
 */
export async function hostConfig(options: HostOptions): Promise<Libp2pOptions<HostServices>> {
  const useTcp = options.tcp ?? true;
  const useWebrtc = options.webrtc ?? false;
  if (!useTcp && !useWebrtc) throw new HostConfigError('both transports are off: enable tcp or webrtc');
  if (options.swarmKey !== undefined && useWebrtc && options.allowList === undefined) {
    throw new HostConfigError(
      'a swarm key does not protect WebRTC connections: give an allow-list of peer IDs as well, or turn WebRTC off',
    );
  }

  const listen = options.listen ?? defaultListen(useTcp, useWebrtc);
  for (const address of listen) checkListenAddress(address, useTcp, useWebrtc);
  const bootstrapList = (options.bootstrap ?? []).map(checkBootstrapAddress);

  const self = peerIdFromPrivateKey(options.privateKey);
  const allowList =
    options.allowList === undefined ? undefined : new Set([...parseAllowList(options.allowList), self.toString()]);

  const peerDiscovery: NonNullable<Libp2pOptions<HostServices>['peerDiscovery']> = [];
  if (bootstrapList.length > 0) peerDiscovery.push(bootstrap({ list: bootstrapList, timeout: 0 }));
  if (options.mdns !== undefined && options.mdns !== false) {
    const init = options.mdns === true ? {} : options.mdns;
    const { mdns } = await import('@libp2p/mdns');
    peerDiscovery.push(
      mdns({
        ...(init.intervalMs !== undefined ? { interval: init.intervalMs } : {}),
        ...(init.serviceTag !== undefined ? { serviceTag: init.serviceTag } : {}),
      }),
    );
  }

  const limits = options.connectionLimits ?? {};
  const webrtc = useWebrtc ? (await import('@libp2p/webrtc')).webRTCDirect() : undefined;
  const protector = options.swarmKey === undefined ? undefined : pskProtector({ swarmKey: options.swarmKey });
  return {
    privateKey: options.privateKey,
    addresses: { listen: [...listen] },
    transports: [...(useTcp ? [tcp()] : []), ...(webrtc === undefined ? [] : [webrtc])],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(protector === undefined ? {} : { connectionProtector: protector }),
    connectionGater: allowListGater(allowList),
    connectionManager: {
      maxConnections: limits.maxConnections ?? 300,
      inboundConnectionThreshold: limits.inboundConnectionThreshold ?? 100,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections ?? 64,
      dialTimeout: limits.dialTimeoutMs ?? 10_000,
    },
    peerDiscovery,
    services: {
      identify: identify(),
      pubsub: gossipsub({
        emitSelf: false,
        allowPublishToZeroTopicPeers: false,
        ...options.pubsub,
        globalSignaturePolicy: StrictSign,
        fastMsgIdFn: options.pubsub?.fastMsgIdFn ?? fastMessageId,
        scoreParams: { ...colocationScoreParams(options.ipColocation ?? 'allow-loopback'), ...options.pubsub?.scoreParams },
      }),
    },
  };
}

/**
 * Gossipsub checks a message's signature before it looks for duplicates, unless it has a fast
 * message id; with several mesh peers every message arrives several times, and verifying each copy
 * (Ed25519) was most of the CPU of a 20-peer federation. The id is a digest of every field, so only
 * an identical copy matches, and gossipsub remembers it only once the message verified.
 */
export const fastMessageId: GossipsubOpts['fastMsgIdFn'] = (message) => {
  const hash = createHash('sha256');
  for (const field of [Buffer.from(message.topic), message.from, message.seqno, message.data, message.signature, message.key]) {
    const bytes = field ?? new Uint8Array(0);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    hash.update(length).update(bytes);
  }
  return hash.digest('base64');
};

function colocationScoreParams(policy: IpColocationPolicy): NonNullable<GossipsubOpts['scoreParams']> {
  switch (policy) {
    case 'penalise':
      return {};
    case 'allow-loopback':
      return { IPColocationFactorWhitelist: new Set(LOOPBACK_IPS) };
    case 'off':
      return { IPColocationFactorWeight: 0 };
    default: {
      const unknown: never = policy;
      throw new HostConfigError(`unknown ipColocation policy "${String(unknown)}"; use penalise, allow-loopback or off`);
    }
  }
}

/** libp2p's listen errors embed the stack of each failed address: keep the sentences only. */
function withoutStack(message: string): string {
  return message
    .split('\n')
    .filter((line) => !/^\s+at /.test(line))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

function defaultListen(useTcp: boolean, useWebrtc: boolean): string[] {
  return [...(useTcp ? ['/ip4/0.0.0.0/tcp/0'] : []), ...(useWebrtc ? ['/ip4/0.0.0.0/udp/0/webrtc-direct'] : [])];
}

function parseAddress(address: string, what: string): Multiaddr {
  try {
    return multiaddr(address);
  } catch (error) {
    throw new HostConfigError(`${what} "${address}" is not a multiaddr (${errorMessage(error)}); e.g. /ip4/0.0.0.0/tcp/4001`);
  }
}

function checkListenAddress(address: string, useTcp: boolean, useWebrtc: boolean): void {
  const protocols = parseAddress(address, 'listen address')
    .getComponents()
    .map((component) => component.name);
  if (protocols.includes('webrtc-direct')) {
    if (!useWebrtc) throw new HostConfigError(`listen address ${address} needs WebRTC, which is off: turn it on or drop the address`);
  } else if (protocols.includes('tcp')) {
    if (!useTcp) throw new HostConfigError(`listen address ${address} needs TCP, which is off: turn it on or drop the address`);
  } else {
    throw new HostConfigError(`listen address ${address} is neither TCP nor WebRTC Direct; e.g. /ip4/0.0.0.0/tcp/0 or /ip4/0.0.0.0/udp/0/webrtc-direct`);
  }
}

function checkBootstrapAddress(address: string): string {
  const hasPeerId = parseAddress(address, 'bootstrap address')
    .getComponents()
    .some((component) => component.code === CODE_P2P);
  if (!hasPeerId) throw new HostConfigError(`bootstrap address ${address} has no /p2p/<peer ID> part; add the peer's ID`);
  return address;
}

/**
 * libp2p 3 does not dial discovered peers by itself (bootstrap does, mDNS does not): dial each
 * newly discovered peer once, unless already connected; the gater still decides. The listener
 * lives on the node and for as long as it (so a stopped and restarted host keeps dialling); it
 * holds nothing else.
 */
function dialDiscoveredPeers(node: Host): void {
  node.addEventListener('peer:discovery', (event) => {
    const peer = event.detail.id;
    if (node.status !== 'started' || node.getConnections(peer).length > 0) return;
    node.dial(peer).catch(() => {
      // Unreachable or refused by a gater: mDNS announces it again on its next query.
    });
  });
}
