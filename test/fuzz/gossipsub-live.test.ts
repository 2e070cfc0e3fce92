/**
 * Live fuzzing of what a gossipsub member can send another: raw RPC frames on a gossipsub
 * stream (the library's RPC decoder) and validly signed messages with arbitrary data on the
 * advert topic (our validator, behind gossipsub's signature check). The victim stays up and
 * keeps delivering an honest member's advert afterwards.
 */
import { RPC } from '@libp2p/gossipsub/message';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitForSubscribers, waitUntil } from '../../node/host/wait.ts';
import { createAdvertChannel, type AdvertChannel } from '../../protocols/adverts/channel.ts';
import { encodeAdvert } from '../../protocols/adverts/codec.ts';
import { advertTopic } from '../../protocols/adverts/topic.ts';
import { frame } from '../../protocols/blob/wire.ts';
import type { PresenceAdvert, ReceivedAdvert } from '../../protocols/messages.ts';
import { deadline, hostPool, signerOf } from '../host/helpers.ts';
import { advertArbitrary, hashArbitrary, peerPool } from './arbitraries.ts';
import { mutateAll, mutationsArbitrary, randomBytes } from './mutations.ts';
import { fuzzAsync } from './support.ts';

const TASK = 'fuzz-gossip';
const TOPIC = advertTopic(TASK);
const PROTOCOLS = ['/meshsub/1.2.0', '/meshsub/1.1.0', '/meshsub/1.0.0'];
const pool = hostPool();

const optionalBytes = fc.option(fc.uint8Array({ maxLength: 80 }), { nil: undefined });
const topicArbitrary = fc.oneof(fc.constant(TOPIC), fc.string({ unit: 'binary', maxLength: 60 }));

/** Structurally valid RPCs with arbitrary field contents (unsigned or badly signed messages, odd control). */
const rpcArbitrary: fc.Arbitrary<RPC> = fc.record({
  subscriptions: fc.array(fc.record({ subscribe: fc.option(fc.boolean(), { nil: undefined }), topic: fc.option(topicArbitrary, { nil: undefined }) }), { maxLength: 4 }),
  messages: fc.array(
    fc.record({
      from: optionalBytes,
      data: fc.option(randomBytes, { nil: undefined }),
      seqno: optionalBytes,
      topic: topicArbitrary,
      signature: optionalBytes,
      key: optionalBytes,
    }),
    { maxLength: 3 },
  ),
  control: fc.option(
    fc.record({
      ihave: fc.array(fc.record({ topicID: fc.option(topicArbitrary, { nil: undefined }), messageIDs: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }) }), { maxLength: 3 }),
      iwant: fc.array(fc.record({ messageIDs: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }) }), { maxLength: 3 }),
      graft: fc.array(fc.record({ topicID: fc.option(topicArbitrary, { nil: undefined }) }), { maxLength: 3 }),
      prune: fc.array(fc.record({ topicID: fc.option(topicArbitrary, { nil: undefined }), peers: fc.constant([]), backoff: fc.option(fc.maxSafeNat(), { nil: undefined }) }), { maxLength: 3 }),
      idontwant: fc.array(fc.record({ messageIDs: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }) }), { maxLength: 3 }),
    }),
    { nil: undefined },
  ),
});

/** What goes on the raw stream: random bytes, framed random bytes, framed (mutated) RPCs. */
const rawArbitrary = fc.oneof(
  randomBytes,
  randomBytes.map(frame),
  rpcArbitrary.map((rpc) => frame(RPC.encode(rpc))),
  fc.tuple(rpcArbitrary, mutationsArbitrary).map(([rpc, mutations]) => mutateAll(frame(RPC.encode(rpc)), mutations)),
);

function presence(): PresenceAdvert {
  return { kind: 'presence', task: TASK, round: 1, head: 'ab'.repeat(32), age: 0, sentAt: Date.now() };
}

describe('a gossipsub member under a hostile member', () => {
  it('survives raw RPC garbage and signed adverts with arbitrary data, and still delivers an honest advert', async () => {
    const peers = await peerPool();
    // Two attackers: one whose raw streams replace its own gossipsub stream to the victim (so its
    // later messages would go nowhere), one that publishes validly signed messages.
    const [victim, honest, rawAttacker, attacker] = await Promise.all([pool.start(), pool.start(), pool.start(), pool.start()]);
    const received: ReceivedAdvert[] = [];
    const judged = new EventTarget();
    /** Attacker messages the victim's validator judged (rejected, ignored or accepted). */
    let judgedFromAttacker = 0;
    let published = 0;
    const channels: AdvertChannel[] = [];
    const victimChannel = createAdvertChannel(victim, TASK, {
      sign: signerOf(victim),
      onRejected: (_reason, from) => {
        if (from === attacker.peerId.toString()) judgedFromAttacker++;
        judged.dispatchEvent(new Event('judged'));
      },
      onIgnored: (_reason, from) => {
        if (from === attacker.peerId.toString()) judgedFromAttacker++;
        judged.dispatchEvent(new Event('judged'));
      },
    });
    channels.push(victimChannel, createAdvertChannel(honest, TASK, { sign: signerOf(honest) }));
    victimChannel.onAdvert((advert) => {
      received.push(advert);
      if (advert.from === attacker.peerId.toString()) judgedFromAttacker++;
      judged.dispatchEvent(new Event('judged'));
    });
    try {
      await honest.dial(victim.getMultiaddrs(), { signal: deadline() });
      await rawAttacker.dial(victim.getMultiaddrs(), { signal: deadline() });

      await fuzzAsync('gossipsub live: raw RPC streams', 15, [rawArbitrary, fc.constantFrom(...PROTOCOLS), fc.boolean()], async (bytes, protocol, reset) => {
        const stream = await rawAttacker.dialProtocol(victim.peerId, protocol, { signal: deadline() });
        if (!stream.send(bytes)) await stream.onDrain({ signal: deadline() });
        if (reset) stream.abort(new Error('hostile member resets'));
        else await stream.close({ signal: deadline() }).catch(() => undefined);
      });

      await attacker.dial(victim.getMultiaddrs(), { signal: deadline() });
      await waitForSubscribers(attacker.services.pubsub, TOPIC, 1, deadline());
      const validData = fc.constant(null).chain(() => advertArbitrary(peers, fc.constant(TASK))).map((advert) => encodeAdvert({ ...advert, sentAt: Date.now() }));
      const dataArbitrary = fc.oneof(randomBytes, validData, fc.tuple(validData, mutationsArbitrary).map(([data, mutations]) => mutateAll(data, mutations)), hashArbitrary.map((hash) => Buffer.from(hash)));
      await fuzzAsync('gossipsub live: signed adverts with arbitrary data', 15, [dataArbitrary], async (data) => {
        await attacker.services.pubsub.publish(TOPIC, data);
        published++;
      });
      // Every one of them reached the victim's validator and got a verdict.
      await waitUntil(judged, ['judged'], () => (judgedFromAttacker >= published ? true : undefined), () => `verdicts on ${published} attacker messages (have ${judgedFromAttacker})`, deadline());

      // The victim is up, still connected to the honest member, and delivers its advert.
      const advert = presence();
      await waitForSubscribers(honest.services.pubsub, TOPIC, 1, deadline());
      await honest.services.pubsub.publish(TOPIC, encodeAdvert(advert));
      await waitUntil(judged, ['judged'], () => received.find((r) => r.from === honest.peerId.toString()), () => 'the honest advert at the victim', deadline());
      expect(received.find((r) => r.from === honest.peerId.toString())?.advert).toEqual(advert);
      expect(victim.status).toBe('started');
      expect(judgedFromAttacker).toBe(published);
    } finally {
      for (const channel of channels) channel.stop();
    }
  });
});
