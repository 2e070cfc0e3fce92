import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import {
  AdvertDecodeError,
  AdvertEncodeError,
  DEFAULT_ADVERT_LIMITS,
  decodeAdvert,
  encodeAdvert,
} from '../../protocols/adverts/codec.ts';
import { AdvertEnvelope, type DeltaBody } from '../../protocols/adverts/generated/adverts.js';
import type { Advert, DeltaAdvert, PresenceAdvert, VersionAdvert } from '../../protocols/messages.ts';

const hash = (fill: string): string => fill.repeat(64).slice(0, 64);
const raw = (byte: number, length = 32): Uint8Array<ArrayBuffer> => new Uint8Array(length).fill(byte);

async function peer(): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
}

const delta: DeltaAdvert = {
  kind: 'delta',
  task: 'mnist-demo',
  round: 7,
  base: hash('a1'),
  delta: hash('b2'),
  bytes: 795_000,
  samples: 600,
  metrics: { loss: 0.312_5, accuracy: 0.918_333_333_333_333_3 },
  sentAt: 1_795_000_000_123,
};

const presence: PresenceAdvert = {
  kind: 'presence',
  task: 'mnist-demo',
  round: 0,
  head: hash('0'),
  age: 12_345,
  sentAt: 1,
};

async function version(contributors = 3): Promise<VersionAdvert> {
  const peers = (await Promise.all(Array.from({ length: contributors }, peer))).sort();
  return {
    kind: 'version',
    task: 'mnist-demo',
    round: 8,
    hash: hash('c3'),
    parent: hash('a1'),
    bytes: 1_590_000,
    contributors: peers.map((id, index) => ({ peer: id, delta: hash(`d${index}`), samples: 100 + index })),
    merged: [hash('e4'), hash('f5')],
    sentAt: Number.MAX_SAFE_INTEGER,
  };
}

const wireDelta: DeltaBody = {
  round: 1,
  base: raw(1),
  delta: raw(2),
  bytes: 10,
  samples: 5,
  loss: 0.5,
  accuracy: 0.5,
};

function decodeError(bytes: Uint8Array): AdvertDecodeError {
  try {
    decodeAdvert(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(AdvertDecodeError);
    return error as AdvertDecodeError;
  }
  throw new Error('decodeAdvert accepted the bytes');
}

describe('advert codec', () => {
  it('round-trips all three kinds exactly', async () => {
    const measured: VersionAdvert = { ...(await version(2)), metrics: { loss: 0.25, accuracy: 0.925, samples: 120 } };
    const patched: VersionAdvert = { ...(await version(2)), patch: hash('7') };
    const curated: VersionAdvert = { ...(await version(2)), curator: (await version(2)).contributors[0]!.peer, signature: raw(9, 64) };
    const signedDelta: DeltaAdvert = { ...delta, signature: raw(8, 64) };
    const signedContributors: VersionAdvert = { ...curated, contributors: curated.contributors.map((c, i) => ({ ...c, signature: raw(i + 1, 64) })) };
    const { kind: _kind, task: _task, sentAt: _sentAt, ...claim } = signedContributors;
    const fraud: Advert = { kind: 'fraud', task: 'mnist-demo', round: claim.round, version: claim, recomputed: hash('5a'), sentAt: 7 };
    const adverts: Advert[] = [delta, signedDelta, presence, await version(), { ...(await version(0)), merged: [] }, measured, patched, curated, signedContributors, fraud];
    for (const advert of adverts) {
      const bytes = encodeAdvert(advert);
      expect(decodeAdvert(bytes)).toEqual(advert);
    }
  });

  it('puts hashes and peer ids on the wire as raw bytes', async () => {
    const advert = await version(1);
    const envelope = AdvertEnvelope.decode(encodeAdvert(advert));
    expect(envelope.version?.hash).toEqual(Uint8Array.from(Buffer.from(advert.hash, 'hex')));
    expect(envelope.version?.contributors[0]?.peer.byteLength).toBe(38); // Ed25519: identity multihash
    expect(envelope.version?.merged.every((bytes) => bytes.byteLength === 32)).toBe(true);
  });

  it('rejects bytes that are not a protobuf', () => {
    expect(decodeError(Uint8Array.from([0x0a, 0xff, 0x01])).reason).toMatch(/not a protobuf/);
    expect(decodeError(new TextEncoder().encode('{"kind":"delta"}')).reason).toMatch(/not a protobuf|no body/);
    // A varint larger than 2^53 (sentAt).
    expect(decodeError(Uint8Array.from([0x10, ...new Array<number>(9).fill(0xff), 0x01])).reason).toMatch(/not a protobuf/);
  });

  it('rejects no body and more than one body', () => {
    expect(decodeError(AdvertEnvelope.encode({ task: 't', sentAt: 1 })).reason).toMatch(/no body/);
    const two = AdvertEnvelope.encode({
      task: 't',
      sentAt: 1,
      delta: wireDelta,
      presence: { round: 1, head: raw(3), age: 0 },
    });
    expect(decodeError(two).reason).toMatch(/more than one body \(delta, presence\)/);
  });

  it('rejects wrong hash lengths', () => {
    const short = AdvertEnvelope.encode({ task: 't', sentAt: 1, delta: { ...wireDelta, base: raw(1, 31) } });
    expect(decodeError(short).reason).toBe('base must be a 32-byte sha256 hash, got 31 bytes');
    const missing = AdvertEnvelope.encode({ task: 't', sentAt: 1, presence: { round: 1, head: raw(0, 0), age: 0 } });
    expect(decodeError(missing).reason).toMatch(/head must be a 32-byte/);
    const merged = AdvertEnvelope.encode({
      task: 't',
      sentAt: 1,
      version: { round: 1, hash: raw(1), parent: raw(2), bytes: 1, contributors: [], merged: [raw(3), raw(4, 33)] },
    });
    expect(decodeError(merged).reason).toMatch(/merged\[1\] must be a 32-byte/);
  });

  it('rejects a contributor whose peer id is not a peer id', () => {
    const bytes = AdvertEnvelope.encode({
      task: 't',
      sentAt: 1,
      version: {
        round: 1,
        hash: raw(1),
        parent: raw(2),
        bytes: 1,
        contributors: [{ peer: raw(9, 5), delta: raw(3), samples: 1 }],
        merged: [],
      },
    });
    expect(decodeError(bytes).reason).toMatch(/contributors\[0\]\.peer is not a peer id/);
  });

  it('rejects a curator field that is not a peer id', () => {
    const bytes = AdvertEnvelope.encode({
      task: 't',
      sentAt: 1,
      version: { round: 1, hash: raw(1), parent: raw(2), bytes: 1, contributors: [], merged: [], curator: raw(9, 5), signature: raw(1, 64) },
    });
    expect(decodeError(bytes).reason).toMatch(/curator is not a peer id/);
  });

  it('rejects a curator without a signature, a signature without a curator, and signatures of the wrong length', async () => {
    const curator = (await version(1)).contributors[0]!.peer;
    const body = { round: 1, hash: raw(1), parent: raw(2), bytes: 1, contributors: [], merged: [] };
    const wire = (version: object) => AdvertEnvelope.encode({ task: 't', sentAt: 1, version: { ...body, ...version } });
    const curatorBytes = AdvertEnvelope.decode(encodeAdvert({ ...(await version(0)), merged: [], curator, signature: raw(1, 64) })).version!.curator!;
    expect(decodeError(wire({ curator: curatorBytes })).reason).toBe('curator without a signature');
    expect(decodeError(wire({ signature: raw(1, 64) })).reason).toBe('signature without a curator');
    expect(decodeError(wire({ curator: curatorBytes, signature: raw(1, 63) })).reason).toMatch(/signature must be a 64-byte Ed25519 signature, got 63 bytes/);
    const shortDelta = AdvertEnvelope.encode({ task: 't', sentAt: 1, delta: { ...wireDelta, signature: raw(1, 65) } });
    expect(decodeError(shortDelta).reason).toMatch(/^signature must be a 64-byte Ed25519 signature, got 65 bytes/);
    const fraudWithoutVersion = AdvertEnvelope.encode({ task: 't', sentAt: 1, fraud: { recomputed: raw(3) } });
    expect(decodeError(fraudWithoutVersion).reason).toBe('fraud.version is missing');
    const unsigned: VersionAdvert = { ...(await version(0)), merged: [], curator };
    expect(() => encodeAdvert(unsigned)).toThrow(/curator without a signature/);
  });

  it('rejects non-finite metrics', () => {
    for (const loss of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const bytes = AdvertEnvelope.encode({ task: 't', sentAt: 1, delta: { ...wireDelta, loss } });
      expect(decodeError(bytes).reason).toMatch(/metrics\.loss must be a finite number/);
    }
  });

  it('rejects an empty task id', () => {
    const bytes = AdvertEnvelope.encode({ task: '', sentAt: 1, delta: wireDelta });
    expect(decodeError(bytes).reason).toBe('empty task id');
  });

  it('rejects a task id that is not well-formed UTF-8 (found by the fuzz harness)', () => {
    // 40 × "a", then ED A0 80 (an encoded lone surrogate): the protobuf reader took it as "a…\ud800".
    const bytes = Buffer.from(`0a2b${'61'.repeat(40)}eda08010052a2408031220${'ab'.repeat(32)}`, 'hex');
    expect(decodeError(new Uint8Array(bytes)).reason).toBe('task id is not well-formed UTF-8');
  });

  it('rejects oversize adverts: too many bytes, contributors or merged versions', async () => {
    expect(decodeError(new Uint8Array(DEFAULT_ADVERT_LIMITS.maxBytes + 1)).reason).toMatch(/more than the limit/);
    const small = { ...DEFAULT_ADVERT_LIMITS, maxContributors: 2 };
    const bytes = encodeAdvert(await version(3));
    expect(() => decodeAdvert(bytes, small)).toThrow(/not a protobuf.*too many elements/);
    const merged = AdvertEnvelope.encode({
      task: 't',
      sentAt: 1,
      version: { round: 1, hash: raw(1), parent: raw(2), bytes: 1, contributors: [], merged: Array.from({ length: 65 }, () => raw(5)) },
    });
    expect(decodeError(merged).reason).toMatch(/too many elements/);
  });

  it('accepts 10,000 contributors under the default limits', async () => {
    const one = await version(1);
    const contributor = one.contributors[0];
    if (contributor === undefined) throw new Error('no contributor');
    const big: VersionAdvert = { ...one, contributors: Array.from({ length: 10_000 }, () => contributor) };
    expect(decodeAdvert(encodeAdvert(big))).toEqual(big);
    const tooBig: VersionAdvert = { ...big, contributors: [...big.contributors, contributor] };
    expect(() => encodeAdvert(tooBig)).toThrow(AdvertEncodeError);
  });

  it('refuses to encode what it would refuse to decode', async () => {
    const cases: Array<[Advert, RegExp]> = [
      [{ ...delta, round: -1 }, /round must be an integer/],
      [{ ...delta, samples: 1.5 }, /samples must be an integer/],
      [{ ...delta, sentAt: Number.MAX_SAFE_INTEGER + 2 }, /sentAt must be an integer/],
      [{ ...delta, metrics: { loss: Number.NaN, accuracy: 1 } }, /metrics\.loss must be a finite/],
      [{ ...delta, base: hash('A') }, /base must be a sha256 hash/],
      [{ ...delta, delta: 'abc' }, /delta must be a sha256 hash/],
      [{ ...delta, task: '' }, /empty task id/],
      [{ ...presence, age: -3 }, /age must be an integer/],
      [{ ...(await version(1)), patch: 'abc' }, /patch must be a sha256 hash/],
      [{ ...(await version(1)), contributors: [{ peer: 'not-a-peer', delta: hash('1'), samples: 1 }] }, /contributors\[0\]\.peer must be a peer id/],
    ];
    for (const [advert, reason] of cases) expect(() => encodeAdvert(advert)).toThrow(reason);
  });
});
