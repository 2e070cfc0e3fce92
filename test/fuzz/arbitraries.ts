/** fast-check arbitraries of valid protocol values (adverts, blob requests and headers). */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import fc from 'fast-check';
import type { Advert, Contributor, DeltaAdvert, PresenceAdvert, VersionAdvert } from '../../protocols/messages.ts';

export const hashArbitrary: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));

export const countArbitrary = fc.oneof(fc.nat({ max: 1_000 }), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER));

/** Finite doubles; -0 excluded (proto3 does not write a zero double, so -0 decodes as +0: see the -0 test). */
export const metricArbitrary = fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value));

/** Task ids of adverts: any well-formed Unicode, 1–256 UTF-16 units. */
export const taskArbitrary = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,63}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter((task) => task.length <= 256),
);

/** Peer ids of each key type an author may have (RSA left out: key generation is slow). */
export async function peerPool(): Promise<PeerId[]> {
  const keys = await Promise.all([
    ...Array.from({ length: 6 }, () => generateKeyPair('Ed25519')),
    generateKeyPair('secp256k1'),
    generateKeyPair('secp256k1'),
  ]);
  return keys.map((key) => peerIdFromPrivateKey(key));
}

export function deltaAdvertArbitrary(task: fc.Arbitrary<string> = taskArbitrary): fc.Arbitrary<DeltaAdvert> {
  return fc.record({
    kind: fc.constant('delta' as const),
    task,
    round: countArbitrary,
    base: hashArbitrary,
    delta: hashArbitrary,
    bytes: countArbitrary,
    samples: countArbitrary,
    metrics: fc.record({ loss: metricArbitrary, accuracy: metricArbitrary }),
    sentAt: countArbitrary,
  });
}

export function versionAdvertArbitrary(peers: readonly PeerId[], task: fc.Arbitrary<string> = taskArbitrary): fc.Arbitrary<VersionAdvert> {
  const contributor: fc.Arbitrary<Contributor> = fc.record({
    peer: fc.constantFrom(...peers.map((peer) => peer.toString())),
    delta: hashArbitrary,
    samples: countArbitrary,
  });
  return fc
    .record(
      {
        kind: fc.constant('version' as const),
        task,
        round: countArbitrary,
        hash: hashArbitrary,
        parent: hashArbitrary,
        bytes: countArbitrary,
        contributors: fc.array(contributor, { maxLength: 12 }),
        merged: fc.array(hashArbitrary, { maxLength: 4 }),
        metrics: fc.record({ loss: metricArbitrary, accuracy: metricArbitrary, samples: countArbitrary }),
        patch: hashArbitrary,
        sentAt: countArbitrary,
      },
      { requiredKeys: ['kind', 'task', 'round', 'hash', 'parent', 'bytes', 'contributors', 'merged', 'sentAt'] },
    );
}

export function presenceAdvertArbitrary(task: fc.Arbitrary<string> = taskArbitrary): fc.Arbitrary<PresenceAdvert> {
  return fc.record({
    kind: fc.constant('presence' as const),
    task,
    round: countArbitrary,
    head: hashArbitrary,
    age: countArbitrary,
    sentAt: countArbitrary,
  });
}

/** A valid advert of any kind. */
export function advertArbitrary(peers: readonly PeerId[], task: fc.Arbitrary<string> = taskArbitrary): fc.Arbitrary<Advert> {
  return fc.oneof(deltaAdvertArbitrary(task), versionAdvertArbitrary(peers, task), presenceAdvertArbitrary(task));
}
