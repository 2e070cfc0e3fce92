import { generateKeyPair } from '@libp2p/crypto/keys';
import type { GossipSub } from '@libp2p/gossipsub';
import { describe, expect, it } from 'vitest';
import { createHost, HostConfigError, type HostOptions, type IpColocationPolicy } from '../../node/host/host.ts';
import { AllowListError } from '../../node/host/gater.ts';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import { waitForConnections, waitForMessage, waitForPeer, waitForSubscribers } from '../../node/host/wait.ts';
import { deadline, hostPool, LOOPBACK_TCP, text } from './helpers.ts';

const pool = hostPool();

describe('createHost', () => {
  it('finds and connects peers on the LAN with mDNS', async () => {
    // A service tag of our own keeps other mDNS users on this machine out of the test.
    const mdns = { serviceTag: `_gossipfl-test-${process.pid}-${Date.now()}._udp.local`, intervalMs: 250 };
    const a = await pool.start({ mdns });
    const b = await pool.start({ mdns });
    await waitForPeer(a, b.peerId, deadline());
    await waitForPeer(b, a.peerId, deadline());
  });

  it('dials its bootstrap list at start', async () => {
    const seed = await pool.start();
    const address = seed.getMultiaddrs()[0]?.toString();
    expect(address).toContain(`/p2p/${seed.peerId.toString()}`);
    const joiner = await pool.start({ bootstrap: [address ?? ''] });
    await waitForPeer(joiner, seed.peerId, deadline());
  });

  it('accepts many peers dialling in at once from one IP (raised inbound threshold)', async () => {
    const hub = await pool.start();
    const spokes = await Promise.all(Array.from({ length: 12 }, () => pool.start()));
    await Promise.all(spokes.map((spoke) => spoke.dial(hub.getMultiaddrs(), { signal: deadline() })));
    expect(await waitForConnections(hub, 12, deadline())).toHaveLength(12);
  });

  it('configures gossipsub for a federation: signed, no self-delivery, no publishing into the void', async () => {
    const a = await pool.start();
    const b = await pool.start();
    const topic = 'gossipfl/test/policy';
    a.services.pubsub.subscribe(topic);
    b.services.pubsub.subscribe(topic);
    await expect(a.services.pubsub.publish(topic, text('nobody hears this'))).rejects.toThrow(/NoPeersSubscribedToTopic/);
    expect(a.services.pubsub.globalSignaturePolicy).toBe('StrictSign');

    await a.dial(b.getMultiaddrs(), { signal: deadline() });
    await waitForSubscribers(a.services.pubsub, topic, 1, deadline());
    let selfDelivered = 0;
    a.services.pubsub.addEventListener('message', () => selfDelivered++);
    const received = waitForMessage(b.services.pubsub, topic, undefined, deadline());
    await a.services.pubsub.publish(topic, text('signed advert'));
    const message = await received;
    expect(message.type).toBe('signed');
    expect(selfDelivered).toBe(0);
  });

  it.each<[IpColocationPolicy | undefined, number, string[]]>([
    [undefined, -5, ['127.0.0.1', '::1']],
    ['allow-loopback', -5, ['127.0.0.1', '::1']],
    ['off', 0, []],
    ['penalise', -5, []],
  ])('applies the IP-colocation policy %s', async (ipColocation, weight, whitelist) => {
    const host = await pool.start(ipColocation === undefined ? {} : { ipColocation });
    const params = scoreParams(host.services.pubsub);
    expect(params.IPColocationFactorWeight).toBe(weight);
    expect([...params.IPColocationFactorWhitelist]).toEqual(whitelist);
  });

  it.each<[string, Partial<HostOptions>, RegExp]>([
    ['both transports off', { tcp: false, webrtc: false }, /both transports are off/],
    ['a swarm key with WebRTC and no allow-list', { webrtc: true, swarmKey: generateSwarmKey() }, /does not protect WebRTC/],
    ['a malformed listen address', { listen: ['/ip4/127.0.0.1/tcp/notaport'] }, /listen address .* is not a multiaddr/],
    ['a WebRTC address with WebRTC off', { listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct'] }, /needs WebRTC, which is off/],
    ['a TCP address with TCP off', { tcp: false, webrtc: true, listen: [LOOPBACK_TCP] }, /needs TCP, which is off/],
    ['a bootstrap address without a peer ID', { bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }, /no \/p2p\/<peer ID> part/],
  ])('refuses %s with a HostConfigError', async (_name, options, message) => {
    const failure = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [LOOPBACK_TCP], ...options }).then(
      async (host) => {
        await host.stop();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HostConfigError);
    expect((failure as Error).name).toBe('HostConfigError');
    expect((failure as Error).message).toMatch(message);
  });

  it('reports a listen port already in use as a HostConfigError and leaves nothing running', async () => {
    const taken = await pool.start();
    const port = taken.getMultiaddrs()[0]?.getComponents().find((component) => component.name === 'tcp')?.value;
    expect(port).toMatch(/^\d+$/);
    const failure = await pool.start({ listen: [`/ip4/127.0.0.1/tcp/${port}`] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HostConfigError);
    expect((failure as Error).message).toMatch(/cannot start the libp2p host: .*EADDRINUSE/);
    expect((failure as Error).message).not.toMatch(/\n/);
  });

  it('refuses a malformed allow-list entry', async () => {
    await expect(pool.start({ allowList: ['12D3KooWnope'] })).rejects.toBeInstanceOf(AllowListError);
  });
});

interface ColocationParams {
  IPColocationFactorWeight: number;
  IPColocationFactorWhitelist: Set<string>;
}

/** The running score parameters: public on the @libp2p/gossipsub class, not on its interface. */
function scoreParams(pubsub: GossipSub): ColocationParams {
  const score: unknown = (pubsub as unknown as { score?: { params?: unknown } }).score?.params;
  if (typeof score !== 'object' || score === null) throw new Error('gossipsub exposes no score params');
  return score as ColocationParams;
}
