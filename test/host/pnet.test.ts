import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { describe, expect, it } from 'vitest';
import { HostConfigError } from '../../node/host/host.ts';
import { generateSwarmKey } from '../../node/host/swarm-key.ts';
import { waitForMessage, waitForSubscribers } from '../../node/host/wait.ts';
import { deadline, expectRefused, hostPool, LOOPBACK_WEBRTC, text, untext } from './helpers.ts';

const pool = hostPool();

describe('private network (pre-shared key)', () => {
  it('connects two peers holding the same key and lets them exchange a message', async () => {
    const swarmKey = generateSwarmKey();
    const a = await pool.start({ swarmKey });
    const b = await pool.start({ swarmKey: { bytes: swarmKey.bytes.slice() } });
    const topic = 'gossipfl/test/pnet';
    a.services.pubsub.subscribe(topic);
    b.services.pubsub.subscribe(topic);
    await a.dial(b.getMultiaddrs(), { signal: deadline() });
    await waitForSubscribers(a.services.pubsub, topic, 1, deadline());
    const received = waitForMessage(b.services.pubsub, topic, undefined, deadline());
    await a.services.pubsub.publish(topic, text('inside the private network'));
    expect(untext((await received).data)).toBe('inside the private network');
  });

  it('refuses a peer with a different key, and a peer with no key, in both directions', async () => {
    const member = await pool.start({ swarmKey: generateSwarmKey() });
    const stranger = await pool.start({ swarmKey: generateSwarmKey() });
    const open = await pool.start();
    // A wrong (or missing) key turns the handshake into random bytes: usually it fails at once,
    // but when the garbage reads as a plausible noise length prefix it stalls until the dial
    // timeout (6 s per address by default). A loopback dial takes ~10 ms, so 2 s is plenty.
    const outcomes = await Promise.all([
      expectRefused(stranger, member, undefined, deadline(2_000)),
      expectRefused(member, stranger, undefined, deadline(2_000)),
      expectRefused(open, member, undefined, deadline(2_000)),
      expectRefused(member, open, undefined, deadline(2_000)),
    ]);
    expect(outcomes).toEqual(['dial failed', 'dial failed', 'dial failed', 'dial failed']);
    expect(member.getConnections()).toHaveLength(0);
  });

  it('requires an allow-list with WebRTC, which the key does not cover, and the allow-list holds there', async () => {
    const swarmKey = generateSwarmKey();
    await expect(pool.start({ swarmKey, webrtc: true })).rejects.toBeInstanceOf(HostConfigError);

    const memberKey = await generateKeyPair('Ed25519');
    const friendKey = await generateKeyPair('Ed25519');
    const allowList = [peerIdFromPrivateKey(memberKey), peerIdFromPrivateKey(friendKey)];
    const webrtc = { tcp: false, webrtc: true, swarmKey, allowList };
    const member = await pool.start({ ...webrtc, privateKey: memberKey, listen: [LOOPBACK_WEBRTC] });
    const friend = await pool.start({ ...webrtc, privateKey: friendKey, listen: [] });
    const outsider = await pool.start({ tcp: false, webrtc: true, listen: [] }); // no key, no list

    await expectRefused(outsider, member);
    expect(member.getConnections()).toHaveLength(0);
    const connection = await friend.dial(member.getMultiaddrs(), { signal: deadline() });
    expect(connection.remoteAddr.getComponents().map((c) => c.name)).toContain('webrtc-direct');
  });
});
