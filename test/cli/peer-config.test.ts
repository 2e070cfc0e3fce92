import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configTemplate, isOpenToAnyone, validatePeerConfig } from '../../node/cli/peer-config.ts';
import { waitForPeer } from '../../node/host/wait.ts';
import { deadline, expectRefused, hostPool } from '../host/helpers.ts';

const pool = hostPool();

async function newIdentity() {
  const privateKey = await generateKeyPair('Ed25519');
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
}

describe('the config `gossipfl init` writes', () => {
  it('admits only this peer by default, or holders of the swarm key with --swarm-key; never anyone', async () => {
    const { peerId } = await newIdentity();
    const listed = validatePeerConfig(parse(configTemplate({ swarmKey: false, peerId })), 'template', '/data');
    expect(listed.allowList).toEqual([peerId]);
    expect(listed.swarmKeyPath).toBeUndefined();
    expect(isOpenToAnyone(listed)).toBe(false);

    const keyed = validatePeerConfig(parse(configTemplate({ swarmKey: true, peerId })), 'template', '/data');
    expect(keyed.swarmKeyPath).toBe('/data/swarm.key');
    expect(keyed.allowList).toBeUndefined();
    expect(isOpenToAnyone(keyed)).toBe(false);

    const bare = validatePeerConfig({ listen: ['/ip4/127.0.0.1/tcp/0'] }, 'bare', '/data');
    expect(isOpenToAnyone(bare)).toBe(true);
    // An empty list admits nobody else: not open.
    expect(isOpenToAnyone(validatePeerConfig({ allowList: [] }, 'empty', '/data'))).toBe(false);
  });

  it('once the other member is added, a host built from it admits that member and refuses a stranger', async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    // What a user does after init: add the other member's ID to the generated list.
    const text = configTemplate({ swarmKey: false, peerId: alice.peerId }).replace(`allowList: [${alice.peerId}]`, `allowList: [${alice.peerId}, ${bob.peerId}]`);
    const config = validatePeerConfig(parse(text), 'config.yaml', '/data');
    expect(config.allowList).toEqual([alice.peerId, bob.peerId]);

    const aliceHost = await pool.start({ privateKey: alice.privateKey, allowList: config.allowList! });
    const bobHost = await pool.start({ privateKey: bob.privateKey });
    const stranger = await pool.start();
    expect(await expectRefused(stranger, aliceHost)).toMatch(/dial failed|closed by remote/);
    await bobHost.dial(aliceHost.getMultiaddrs(), { signal: deadline() });
    await waitForPeer(aliceHost, bobHost.peerId, deadline());
    expect(aliceHost.getPeers().map(String)).toEqual([bob.peerId]);
  });
});
