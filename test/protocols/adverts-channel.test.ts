import type { Message } from '@libp2p/gossipsub';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdvertChannel, type AdvertChannel } from '../../protocols/adverts/channel.ts';
import { encodeAdvert } from '../../protocols/adverts/codec.ts';
import { advertTopic, validateAdvert, ReplayGuard } from '../../protocols/adverts/topic.ts';
import type { Advert, DeltaAdvert, PresenceAdvert, ReceivedAdvert, VersionAdvert } from '../../protocols/messages.ts';
import type { Host } from '../../node/host/host.ts';
import { waitForSubscribers, waitUntil } from '../../node/host/wait.ts';
import { deadline, hostPool, signerOf } from '../host/helpers.ts';
import { sealAdvert } from '../../protocols/adverts/statements.ts';

const TASK = 'mnist-demo';
const TOPIC = advertTopic(TASK);
const pool = hostPool();
const channels: AdvertChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) channel.stop();
});

const hash = (fill: string): string => fill.repeat(64).slice(0, 64);

function deltaAdvert(overrides: Partial<DeltaAdvert> = {}): DeltaAdvert {
  return {
    kind: 'delta',
    task: TASK,
    round: 3,
    base: hash('a'),
    delta: hash('b'),
    bytes: 1000,
    samples: 60,
    metrics: { loss: 0.25, accuracy: 0.9 },
    sentAt: Date.now(),
    ...overrides,
  };
}

/** `advert` as `host`'s transport would publish it: with its signatures filled in. */
const sealedBy = (host: Host, advert: Advert): Advert => sealAdvert(advert, host.peerId.toString(), signerOf(host));

/** Records events and lets a test wait, with a deadline, until one matching arrives. */
class Recorder<T> {
  readonly items: T[] = [];
  readonly #target = new EventTarget();
  push = (item: T): void => {
    this.items.push(item);
    this.#target.dispatchEvent(new Event('item'));
  };
  waitFor(match: (item: T) => boolean, what: string, signal = deadline()): Promise<T> {
    return waitUntil(this.#target, ['item'], () => this.items.find(match), () => what, signal);
  }
}

interface Peer {
  readonly host: Host;
  readonly channel: AdvertChannel;
  readonly received: Recorder<ReceivedAdvert>;
  readonly rejected: Recorder<{ reason: string; from: string | undefined }>;
  readonly ignored: Recorder<{ reason: string; from: string }>;
}

async function peers(count: number, currentRound?: number): Promise<Peer[]> {
  const hosts = await Promise.all(Array.from({ length: count }, () => pool.start()));
  const result = hosts.map((host): Peer => {
    const received = new Recorder<ReceivedAdvert>();
    const rejected = new Recorder<{ reason: string; from: string | undefined }>();
    const ignored = new Recorder<{ reason: string; from: string }>();
    const channel = createAdvertChannel(host, TASK, {
      sign: signerOf(host),
      currentRound: () => currentRound,
      onRejected: (reason, from) => rejected.push({ reason, from }),
      onIgnored: (reason, from) => ignored.push({ reason, from }),
    });
    channels.push(channel);
    channel.onAdvert(received.push);
    return { host, channel, received, rejected, ignored };
  });
  for (let i = 0; i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      const [from, to] = [hosts[i], hosts[j]];
      if (from !== undefined && to !== undefined) await from.dial(to.getMultiaddrs(), { signal: deadline() });
    }
  }
  await Promise.all(hosts.map((host) => waitForSubscribers(host.services.pubsub, TOPIC, count - 1, deadline())));
  return result;
}

function three(list: Peer[]): [Peer, Peer, Peer] {
  const [a, b, c] = list;
  if (a === undefined || b === undefined || c === undefined) throw new Error('expected three peers');
  return [a, b, c];
}

describe('advert channel over gossipsub', () => {
  it('delivers delta, version and presence adverts with the verified sender', async () => {
    const [a, b, c] = three(await peers(3));
    const version: VersionAdvert = {
      kind: 'version',
      task: TASK,
      round: 4,
      hash: hash('c'),
      parent: hash('a'),
      bytes: 2000,
      contributors: [{ peer: b.channel.self, delta: hash('b'), samples: 60 }],
      merged: [],
      curator: a.channel.self,
      sentAt: Date.now(),
    };
    const presence: PresenceAdvert = { kind: 'presence', task: TASK, round: 4, head: hash('c'), age: 0, sentAt: Date.now() };
    // b signed its contribution (its delta advert); a signs its delta and, as curator, the version.
    const adverts: Advert[] = [deltaAdvert(), sealedBy(b.host, version), presence];
    for (const advert of adverts) {
      const outcome = await a.channel.publish(advert);
      expect(outcome.sent).toBe(true);
    }
    for (const receiver of [b, c]) {
      for (const advert of adverts) {
        const got = await receiver.received.waitFor((r) => r.advert.kind === advert.kind, `a ${advert.kind} advert`);
        expect(got).toEqual({ from: a.channel.self, advert: sealedBy(a.host, advert) });
      }
    }
    expect(a.received.items).toEqual([]);
    expect(b.rejected.items.concat(c.rejected.items)).toEqual([]);
  });

  it('rejects malformed, foreign-task, future, stale and replayed adverts and ignores old rounds; nobody crashes', async () => {
    const [a, b, c] = three(await peers(3, 10));
    const pubsub = a.host.services.pubsub;
    const self = a.channel.self;

    await pubsub.publish(TOPIC, Uint8Array.from([0x0a, 0xff, 0xff, 0x01]));
    await b.rejected.waitFor((r) => r.reason.startsWith('malformed: invalid advert: not a protobuf'), 'malformed rejection');

    await pubsub.publish(TOPIC, encodeAdvert(deltaAdvert({ task: 'other-task' })));
    await b.rejected.waitFor((r) => r.reason.startsWith('foreign task:'), 'foreign-task rejection');

    await pubsub.publish(TOPIC, encodeAdvert(deltaAdvert({ sentAt: Date.now() + 6 * 60_000 })));
    await b.rejected.waitFor((r) => r.reason.startsWith('from the future:'), 'future rejection');

    await pubsub.publish(TOPIC, encodeAdvert(deltaAdvert({ sentAt: Date.now() - 11 * 60_000 })));
    await b.rejected.waitFor((r) => r.reason.startsWith('stale:'), 'stale rejection');

    await pubsub.publish(TOPIC, encodeAdvert(sealedBy(a.host, deltaAdvert({ round: 5, delta: hash('5') }))));
    await b.ignored.waitFor((r) => r.reason.startsWith('old round:'), 'old-round ignore');

    // An unsigned delta advert, and one carrying another peer's signature.
    await pubsub.publish(TOPIC, encodeAdvert(deltaAdvert({ round: 10, delta: hash('6') })));
    await b.rejected.waitFor((r) => r.reason === 'bad signature: the delta advert is not signed', 'unsigned delta rejection');
    await pubsub.publish(TOPIC, encodeAdvert(sealedBy(c.host, deltaAdvert({ round: 10, delta: hash('7') }))));
    await b.rejected.waitFor((r) => r.reason === `bad signature: the delta advert's signature is not ${self}'s`, "c's signature on a's advert");

    // A genuine advert from a, then b re-publishes its exact bytes as its own message: the
    // signature is a's, so the advert is b's forgery (the replay guard would refuse it as well).
    const genuine = deltaAdvert({ round: 10, delta: hash('d') });
    await a.channel.publish(genuine);
    await c.received.waitFor((r) => r.advert.kind === 'delta', 'the genuine advert');
    await b.host.services.pubsub.publish(TOPIC, encodeAdvert(sealedBy(a.host, genuine)));
    await c.rejected.waitFor((r) => r.reason.startsWith('bad signature:') && r.from === b.channel.self, 'replay rejection at c');
    await a.rejected.waitFor((r) => r.reason.startsWith('bad signature:') && r.from === b.channel.self, 'replay rejection at a');
    // b advertises the same delta hash in an advert of its own, signed by b. Accepted: two honest
    // members whose training changed nothing send the same all-zero delta.
    await b.host.services.pubsub.publish(TOPIC, encodeAdvert(sealedBy(b.host, { ...genuine, sentAt: genuine.sentAt + 1 })));
    await c.received.waitFor((r) => r.from === b.channel.self && r.advert.kind === 'delta', 'the same delta hash from b');

    // A sentinel after everything: once it arrives, every earlier message has been judged.
    const sentinel: PresenceAdvert = { kind: 'presence', task: TASK, round: 10, head: hash('e'), age: 0, sentAt: Date.now() };
    await a.channel.publish(sentinel);
    for (const receiver of [b, c]) {
      await receiver.received.waitFor((r) => r.advert.kind === 'presence', 'the sentinel');
      expect(receiver.received.items.filter((r) => r.from === self).map((r) => r.advert)).toEqual([sealedBy(a.host, genuine), sentinel]);
    }
    expect(b.rejected.items.filter((r) => r.from === self).map((r) => r.reason.split(':')[0])).toEqual([
      'malformed',
      'foreign task',
      'from the future',
      'stale',
      'bad signature',
      'bad signature',
    ]);
    for (const peer of [a, b, c]) expect(peer.host.status).toBe('started');
  });

  it('drops a publish with no subscribed peer without throwing, and stops cleanly', async () => {
    const host = await pool.start();
    const lines: string[] = [];
    const channel = createAdvertChannel(host, TASK, { sign: signerOf(host), log: (line) => lines.push(line) });
    channels.push(channel);
    expect(host.services.pubsub.topicValidators.has(TOPIC)).toBe(true);
    expect(host.services.pubsub.getTopics()).toContain(TOPIC);
    expect(() => createAdvertChannel(host, TASK, { sign: signerOf(host) })).toThrow(/already has an advert channel/);

    const outcome = await channel.publish(deltaAdvert());
    expect(outcome).toEqual({ sent: false, reason: expect.stringMatching(/no peer subscribed/) as unknown });
    expect(lines.join('\n')).toMatch(/delta advert for round 3 dropped/);
    await expect(channel.publish(deltaAdvert({ task: 'other-task' }))).rejects.toThrow(/cannot go on the channel/);

    channel.stop();
    channel.stop();
    expect(host.services.pubsub.topicValidators.has(TOPIC)).toBe(false);
    expect(host.services.pubsub.getTopics()).not.toContain(TOPIC);
    await expect(channel.publish(deltaAdvert())).rejects.toThrow(/stopped/);
  });
});

describe('validateAdvert', () => {
  const base = { taskId: TASK, now: () => 1_000_000_000 };

  it('rejects an unsigned message', () => {
    const message: Message = { type: 'unsigned', topic: TOPIC, data: encodeAdvert(deltaAdvert()) };
    expect(validateAdvert(message, base)).toMatchObject({ result: 'reject', code: 'unsigned', from: undefined });
  });

  it('applies the clock and round windows at their edges', async () => {
    const host = await pool.start();
    const signed = (advert: Advert): Message => ({
      type: 'signed',
      from: host.peerId,
      topic: TOPIC,
      data: encodeAdvert(advert),
      sequenceNumber: 1n,
      signature: new Uint8Array(64),
      key: host.peerId.publicKey ?? (() => { throw new Error('no key'); })(),
    });
    const now = base.now();
    const at = (sentAt: number, round = 3): string => validateAdvert(signed(sealedBy(host, deltaAdvert({ sentAt, round }))), { ...base, currentRound: () => 4 }).result;
    expect(at(now + 5 * 60_000)).toBe('accept');
    expect(at(now + 5 * 60_000 + 1)).toBe('reject');
    expect(at(now - 10 * 60_000)).toBe('accept');
    expect(at(now - 10 * 60_000 - 1)).toBe('reject');
    expect(at(now, 2)).toBe('ignore');
    const presence: PresenceAdvert = { kind: 'presence', task: TASK, round: 0, head: hash('1'), age: 0, sentAt: now };
    expect(validateAdvert(signed(presence), { ...base, currentRound: () => 4 }).result).toBe('accept');

    const replay = new ReplayGuard();
    const message = signed(sealedBy(host, deltaAdvert({ sentAt: now })));
    expect(validateAdvert(message, { ...base, replay }).result).toBe('accept');
    expect(validateAdvert(message, { ...base, replay })).toMatchObject({ result: 'ignore', code: 'duplicate' });
  });
});
