import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Message } from '@libp2p/gossipsub';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import { allowListGater, AllowListError } from '../../node/host/gater.ts';
import { waitForMessage, waitForPeer, waitForSubscribers } from '../../node/host/wait.ts';
import { deadline, expectRefused, hostPool, text, untext } from './helpers.ts';

const pool = hostPool();

describe('allow-list gater', () => {
  it('keeps a peer outside the list from connecting or receiving, while an allowed peer does', async () => {
    const aliceKey = await generateKeyPair('Ed25519');
    const bobKey = await generateKeyPair('Ed25519');
    const federation = [peerIdFromPrivateKey(aliceKey).toString(), peerIdFromPrivateKey(bobKey).toString()];
    const alice = await pool.start({ privateKey: aliceKey, allowList: federation });
    const bob = await pool.start({ privateKey: bobKey, allowList: federation });
    const mallory = await pool.start(); // open gater: she would talk to anyone

    const topic = 'gossipfl/test/allow';
    for (const host of [alice, bob, mallory]) host.services.pubsub.subscribe(topic);
    const malloryGot: Message[] = [];
    mallory.services.pubsub.addEventListener('message', (event) => malloryGot.push(event.detail));

    // Mallory dials both members: each refuses her after the handshake reveals who she is.
    await expectRefused(mallory, alice);
    await expectRefused(mallory, bob);
    // A member does not dial her either, by peer ID or by an address naming her.
    await expect(alice.dial(mallory.peerId, { signal: deadline() })).rejects.toThrow();
    await expect(alice.dial(mallory.getMultiaddrs(), { signal: deadline() })).rejects.toThrow();

    await bob.dial(alice.getMultiaddrs(), { signal: deadline() });
    await waitForPeer(alice, bob.peerId, deadline());
    await waitForSubscribers(alice.services.pubsub, topic, 1, deadline());
    const bobReceives = waitForMessage(bob.services.pubsub, topic, undefined, deadline());
    const published = await alice.services.pubsub.publish(topic, text('members only'));
    expect(published.recipients.map(String)).toEqual([bob.peerId.toString()]);
    expect(untext((await bobReceives).data)).toBe('members only');

    expect(malloryGot).toHaveLength(0);
    expect(mallory.getConnections()).toHaveLength(0);
    expect(alice.getPeers().map(String)).toEqual([bob.peerId.toString()]);
    // Her addresses were not even kept in the members' peer stores.
    expect((await alice.peerStore.has(mallory.peerId)) ? (await alice.peerStore.get(mallory.peerId)).addresses : []).toEqual([]);
  });

  it('is open without a list, and rejects a malformed entry', async () => {
    const open = allowListGater(undefined);
    expect(open.denyDialPeer).toBeUndefined();
    expect(open.denyInboundEncryptedConnection).toBeUndefined();
    expect(() => allowListGater(['not-a-peer-id'])).toThrow(AllowListError);
    expect(() => allowListGater(['not-a-peer-id'])).toThrow(/"not-a-peer-id" is not a peer ID/);
  });
});
