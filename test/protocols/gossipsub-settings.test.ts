/**
 * docs/PROTOCOL.md §2.5 (gossipsub) against the host the reference builds: the protocols it
 * registers, the message id a received advert gets, the signature policy, the score parameters and
 * thresholds, and the mesh settings are read from the document and compared with the running
 * gossipsub service, so the document cannot drift from node/host/host.ts or the library's defaults.
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys';
import { StrictSign, type GossipSub, type GossipsubMessage, type GossipsubOpts } from '@libp2p/gossipsub';
import { describe, expect, it } from 'vitest';
import { waitForConnections, waitForSubscribers, waitUntil, type Listenable } from '../../node/host/wait.ts';
import { deadline, hostPool, text } from '../host/helpers.ts';
import { docPart } from './doc-tables.ts';

const SECTION = docPart('### 2.5 ', '---');
const pool = hostPool();
/** The doc writes minus signs as U+2212 and groups digits with spaces. */
const docNumber = (value: string) => Number(value.replaceAll('−', '-').replace(/\s/g, ''));

type PeerScoreParams = NonNullable<GossipsubOpts['scoreParams']>;

/** What the running service holds: its options with defaults filled in and its score parameters. */
interface GossipsubInternals {
  readonly opts: Required<Omit<GossipsubOpts, 'scoreParams' | 'scoreThresholds'>> & { readonly scoreThresholds: Required<NonNullable<GossipsubOpts['scoreThresholds']>> };
  readonly score: { readonly params: Required<PeerScoreParams> };
}

const internals = (pubsub: GossipSub) => pubsub as unknown as GossipsubInternals;

/** Every capture of `pattern` (which must match once) as numbers. */
function stated(pattern: RegExp): number[] {
  const match = pattern.exec(SECTION);
  if (match === null) throw new Error(`§2.5 no longer states ${pattern}`);
  return match.slice(1).map(docNumber);
}

describe('PROTOCOL §2.5 gossipsub', () => {
  it('registers the documented protocols, in the documented order', async () => {
    const host = await pool.start();
    const match = /The reference registers ((?:`\/[a-z]+\/[\d.]+`(?:, | and |\s)+)+)/.exec(SECTION.replace(/\n\s*/g, ' '));
    expect(match).not.toBeNull();
    const documented = [...match![1]!.matchAll(/`(\/[a-z]+\/[\d.]+)`/g)].map((m) => m[1]);
    expect(documented).toEqual(['/meshsub/1.2.0', '/meshsub/1.1.0', '/meshsub/1.0.0', '/floodsub/1.0.0']);
    expect(host.services.pubsub.protocols).toEqual(documented);
    for (const protocol of documented) expect(host.getProtocols()).toContain(protocol);
  });

  it('gives a received advert the message id publicKey ‖ seqno', async () => {
    const a = await pool.start();
    const b = await pool.start();
    const topic = '/gossipfl/task/msg-id-check/adverts/1';
    a.services.pubsub.subscribe(topic);
    b.services.pubsub.subscribe(topic);
    await a.dial(b.getMultiaddrs(), { signal: deadline() });
    await waitForConnections(b, 1, deadline());
    await waitForSubscribers(a.services.pubsub, topic, 1, deadline());
    const arrival = waitUntil(
      b.services.pubsub as unknown as Listenable,
      ['gossipsub:message'],
      (event) => (event === undefined ? undefined : (event as CustomEvent<GossipsubMessage>).detail),
      () => 'the published advert did not arrive',
      deadline(),
    );
    await a.services.pubsub.publish(topic, text('an advert'));
    const received = await arrival;
    const message = received.msg;
    if (message.type !== 'signed') throw new Error('the reference published an unsigned message');
    const key = publicKeyToProtobuf(a.peerId.publicKey!);
    expect([...key.subarray(0, 4)]).toEqual([0x08, 0x01, 0x12, 0x20]); // Ed25519, as §2.5 spells it
    expect([...a.peerId.toMultihash().bytes]).toEqual([0x00, 0x24, ...key]); // "the 36 bytes that follow 00 24"
    const seqno = Buffer.alloc(8);
    seqno.writeBigUInt64BE(message.sequenceNumber);
    // gossipsub keys its caches on the id's unpadded base64 (a local string form; the wire carries the bytes).
    expect(received.msgId).toBe(Buffer.concat([key, seqno]).toString('base64').replace(/=+$/, ''));
    expect(message.key.equals(a.peerId.publicKey)).toBe(true);
  });

  it('signs strictly, scores and meshes with the documented parameters', async () => {
    const pubsub = (await pool.start()).services.pubsub;
    expect(pubsub.globalSignaturePolicy).toBe(StrictSign);
    const opts = internals(pubsub).opts;
    const [d, dlo, dhi, dscore, dout, dlazy, gossipFactor, heartbeatS] = stated(
      /`D = (\d+)`, `D_lo = (\d+)`, `D_hi = (\d+)`,\s+`D_score = (\d+)`, `D_out = (\d+)`, `D_lazy = (\d+)`, gossip factor ([\d.]+); heartbeat every (\d+) s/,
    );
    expect([opts.D, opts.Dlo, opts.Dhi, opts.Dscore, opts.Dout, opts.Dlazy, opts.gossipFactor, opts.heartbeatInterval]).toEqual([d, dlo, dhi, dscore, dout, dlazy, gossipFactor, heartbeatS! * 1000]);
    const [history, gossip, fanoutS, seenS] = stated(/message cache (\d+) heartbeats, gossip of the last (\d+); fanout TTL (\d+) s; duplicate cache\s+\(`seenTTL`\) (\d+) s/);
    expect([opts.mcacheLength, opts.mcacheGossip, opts.fanoutTTL, opts.seenTTL]).toEqual([history, gossip, fanoutS! * 1000, seenS! * 1000]);
    expect([opts.floodPublish, opts.doPX, opts.directPeers, opts.emitSelf, opts.allowPublishToZeroTopicPeers, opts.fallbackToFloodsub]).toEqual([true, false, [], false, false, true]);
    const [iwantS, pruneS, unsubscribeS, floodS] = stated(/did not deliver within (\d+) s;[\s\S]*?for the\s+(\d+) s announced in the reference's PRUNE, (\d+) s when the reference left the topic;[\s\S]*?within (\d+) s of the PRUNE/);
    expect([opts.gossipsubIWantFollowupMs, opts.pruneBackoff, opts.unsubcribeBackoff, opts.graftFloodThreshold]).toEqual([iwantS! * 1000, pruneS! * 1000, unsubscribeS! * 1000, floodS! * 1000]);

    const params = internals(pubsub).score.params;
    expect(params.topics).toEqual({});
    expect(params.appSpecificScore('any peer')).toBe(0);
    const [p6Weight, p6Threshold] = stated(/IP colocation P6: weight (−?\d+),\s+threshold (\d+)/);
    expect([params.IPColocationFactorWeight, params.IPColocationFactorThreshold]).toEqual([p6Weight, p6Threshold]);
    expect([...params.IPColocationFactorWhitelist].sort()).toEqual(['127.0.0.1', '::1'].sort());
    const [p7Weight, p7Threshold, p7Decay, decayS, zero, retainH] = stated(
      /behaviour P7: weight (−?\d+), threshold (\d+), `−10 · count²`, the count multiplied by ([\d.]+) every (\d+) s\s+\(counters below ([\d.]+) become 0\); a disconnected peer's score is kept for (\d+) h/,
    );
    expect([params.behaviourPenaltyWeight, params.behaviourPenaltyThreshold, params.behaviourPenaltyDecay, params.decayInterval, params.decayToZero, params.retainScore]).toEqual([
      p7Weight, p7Threshold, p7Decay, decayS! * 1000, zero, retainH! * 3600_000,
    ]);
    const [gossipT, publishT, graylistT, pxT, graftT] = stated(/Thresholds: gossip\s+(−?\d+), publish (−?\d+), graylist (−?\d+) \(every RPC of a peer below it is ignored\), accept-PX (\d+),\s+opportunistic graft (\d+)/);
    expect(opts.scoreThresholds).toEqual({
      gossipThreshold: gossipT,
      publishThreshold: publishT,
      graylistThreshold: graylistT,
      acceptPXThreshold: pxT,
      opportunisticGraftThreshold: graftT,
    });
  });
});
