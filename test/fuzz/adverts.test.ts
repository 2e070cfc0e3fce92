/**
 * Fuzzing the advert decoder (protocols/adverts/codec.ts) and the topic validator
 * (protocols/adverts/topic.ts): everything a gossipsub message from any member reaches.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PeerId, PublicKey } from '@libp2p/interface';
import type { Message } from '@libp2p/gossipsub';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdvertDecodeError, DEFAULT_ADVERT_LIMITS, decodeAdvert, encodeAdvert, type AdvertLimits } from '../../protocols/adverts/codec.ts';
import { ReplayGuard, validateAdvert, type AdvertVerdict } from '../../protocols/adverts/topic.ts';
import type { Advert } from '../../protocols/messages.ts';
import { advertArbitrary, peerPool } from './arbitraries.ts';
import { bytesEqual, mutateAll, mutationsArbitrary, randomBytes } from './mutations.ts';
import { expectDecodeOutcome, fuzz } from './support.ts';

let peers: PeerId[] = [];
let keys: PublicKey[] = [];

beforeAll(async () => {
  peers = await peerPool();
  keys = [(await generateKeyPair('Ed25519')).publicKey];
});

/** Small limits as well as the defaults, so the limit checks themselves are reached. */
const SMALL_LIMITS: AdvertLimits = { maxBytes: 600, maxContributors: 3, maxMerged: 2, maxTaskLength: 16 };

function decode(bytes: Uint8Array, limits: AdvertLimits = DEFAULT_ADVERT_LIMITS) {
  return expectDecodeOutcome(() => decodeAdvert(bytes, limits), [AdvertDecodeError]);
}

/**
 * Whatever decodeAdvert returns, encodeAdvert accepts, and it decodes back to the same
 * value (the decoder's output is a fixed point). Returns whether the re-encoding equals the
 * input bytes: protobuf does not make that so (see the test "accepts more than one encoding").
 */
function expectFixedPoint(bytes: Uint8Array, advert: Advert, limits: AdvertLimits): boolean {
  const again = encodeAdvert(advert, limits);
  expect(decodeAdvert(again, limits)).toEqual(advert);
  return bytesEqual(again, bytes);
}

describe('decodeAdvert', () => {
  it('returns an advert or throws AdvertDecodeError on arbitrary bytes', () => {
    fuzz('adverts: decodeAdvert(random bytes)', 400, [randomBytes, fc.boolean()], (bytes, small) => {
      const limits = small ? SMALL_LIMITS : DEFAULT_ADVERT_LIMITS;
      const outcome = decode(bytes, limits);
      if (outcome.ok) expectFixedPoint(bytes, outcome.value, limits);
    });
  });

  it('round-trips every valid advert of each kind exactly', () => {
    fuzz('adverts: decode(encode(x)) = x', 300, [fc.constant(null).chain(() => advertArbitrary(peers))], (advert) => {
      const bytes = encodeAdvert(advert);
      expect(decodeAdvert(bytes)).toEqual(advert);
    });
  });

  // Fails on some long-run seeds (known bug, reported, not weakened here): protons-runtime's
  // lenient UTF-8 reader turns ill-formed task bytes (lone surrogates such as ED A0 80,
  // truncated sequences that read into the next field, overlong forms such as C1 AF for "o")
  // into strings that decodeAdvert accepts, some of which do not survive encode → decode.
  it('rejects mutated encodings with AdvertDecodeError or decodes them to a value that re-encodes to a fixed point', () => {
    fuzz('adverts: decodeAdvert(mutated valid encoding)', 600, [fc.constant(null).chain(() => advertArbitrary(peers)), mutationsArbitrary], (advert, mutations) => {
      const bytes = mutateAll(encodeAdvert(advert), mutations);
      const outcome = decode(bytes);
      // Accepted mutants may be a second encoding of their value (protobuf: see the next test).
      if (outcome.ok) expectFixedPoint(bytes, outcome.value, DEFAULT_ADVERT_LIMITS);
    });
  });

  it('accepts more than one encoding of one advert (protobuf: unknown fields, field order, repeated scalars)', () => {
    // Documented exception to "no two encodings of one value accepted": the advert decoder is
    // protobuf's, which by design skips unknown fields and keeps the last of a repeated scalar.
    // Nothing relies on advert bytes being canonical except ReplayGuard's 'duplicate' rule,
    // which an author can therefore sidestep for its own adverts (harmless: see the report).
    const advert: Advert = { kind: 'presence', task: 'mnist-demo', round: 3, head: 'ab'.repeat(32), age: 0, sentAt: 5 };
    const canonical = encodeAdvert(advert);
    // task (field 1: tag, length, 10 bytes) comes first, then sent_at (field 2): 0x10 0x05.
    const sentAtAt = 2 + advert.task.length;
    expect([...canonical.subarray(sentAtAt, sentAtAt + 2)]).toEqual([0x10, 0x05]);
    const before = canonical.subarray(0, sentAtAt);
    const after = canonical.subarray(sentAtAt + 2);
    const unknownField = Uint8Array.from([...canonical, 0x78, 0x01]); // field 15, varint 1
    const sentAtTwice = Uint8Array.from([...canonical, 0x10, 0x05]); // sent_at = 5 again, last one wins
    const sentAtLast = Uint8Array.from([...before, ...after, 0x10, 0x05]); // fields out of order
    for (const variant of [unknownField, sentAtTwice, sentAtLast]) {
      expect(bytesEqual(variant, canonical)).toBe(false);
      expect(decodeAdvert(variant)).toEqual(advert);
    }
  });

  it('refuses a uint64 written as a non-minimal varint (protons-runtime misreads it: found by this harness)', () => {
    // sent_at = 5 written as 0x85 0x00 (valid protobuf, two-byte varint). protons-runtime's
    // uint64Number then reads past the field ("index out of range: 53 + 10 > 53"): the advert
    // is refused, where another protobuf implementation would accept it. Refusing is safe;
    // a compatible peer must not write such varints (docs/PROTOCOL.md should say so).
    const advert: Advert = { kind: 'presence', task: 'mnist-demo', round: 3, head: 'ab'.repeat(32), age: 0, sentAt: 5 };
    const canonical = encodeAdvert(advert);
    const sentAtAt = 2 + advert.task.length;
    const longVarint = Uint8Array.from([...canonical.subarray(0, sentAtAt), 0x10, 0x85, 0x00, ...canonical.subarray(sentAtAt + 2)]);
    const outcome = expectDecodeOutcome(() => decodeAdvert(longVarint), [AdvertDecodeError]);
    expect(outcome.ok).toBe(false);
  });

  it('decodes a -0 metric as +0 (proto3 does not write zero doubles)', () => {
    const advert: Advert = {
      kind: 'delta', task: 'mnist-demo', round: 1, base: 'ab'.repeat(32), delta: 'cd'.repeat(32),
      bytes: 1, samples: 1, metrics: { loss: -0, accuracy: 0.5 }, sentAt: 1,
    };
    const decoded = decodeAdvert(encodeAdvert(advert));
    expect(decoded.kind === 'delta' && Object.is(decoded.metrics.loss, 0)).toBe(true);
  });
});

describe('validateAdvert', () => {
  const TASK = 'fuzz-task';
  const NOW = 1_800_000_000_000;

  function message(fields: { signed: boolean; from: PeerId; data: Uint8Array; topic: string; signature: Uint8Array; sequenceNumber: bigint }): Message {
    if (!fields.signed) return { type: 'unsigned', topic: fields.topic, data: fields.data };
    return {
      type: 'signed',
      from: fields.from,
      topic: fields.topic,
      data: fields.data,
      sequenceNumber: fields.sequenceNumber,
      signature: fields.signature,
      key: keys[0] as PublicKey,
    };
  }

  function expectVerdict(verdict: AdvertVerdict, signed: boolean): void {
    switch (verdict.result) {
      case 'accept':
        expect(signed).toBe(true);
        expect(verdict.advert.task).toBe(TASK);
        break;
      case 'reject':
        expect(['unsigned', 'malformed', 'foreign task', 'from the future', 'stale', 'bad signature', 'replay']).toContain(verdict.code);
        expect(verdict.reason.length).toBeGreaterThan(0);
        break;
      case 'ignore':
        expect(['old round', 'duplicate']).toContain(verdict.code);
        break;
      default: {
        const unknown: never = verdict;
        throw new Error(`unknown verdict ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Message data: random bytes, valid adverts of this task near NOW, and mutations of those. */
  function dataArbitrary(): fc.Arbitrary<Uint8Array> {
    const fresh = fc.constant(null).chain(() => advertArbitrary(peers, fc.constant(TASK))).map((advert) => ({ ...advert, sentAt: NOW - (advert.sentAt % 900_000) + 300_000 }));
    const valid = fresh.map((advert) => encodeAdvert(advert));
    return fc.oneof(randomBytes, valid, fc.tuple(valid, mutationsArbitrary).map(([bytes, mutations]) => mutateAll(bytes, mutations)));
  }

  it('never throws: every gossipsub message gets accept, reject or ignore with a known code', () => {
    const replay = new ReplayGuard(64);
    fuzz(
      'adverts: validateAdvert(arbitrary gossipsub message)',
      400,
      [
        fc.record({
          signed: fc.boolean(),
          from: fc.nat().map((i) => peers[i % peers.length] as PeerId),
          data: fc.constant(null).chain(() => dataArbitrary()),
          topic: fc.string({ unit: 'binary', maxLength: 80 }),
          signature: fc.uint8Array({ maxLength: 80 }),
          sequenceNumber: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        }),
        fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined }),
      ],
      (fields, currentRound) => {
        const started = performance.now();
        const verdict = validateAdvert(message(fields), { taskId: TASK, now: () => NOW, currentRound: () => currentRound, replay });
        expect(performance.now() - started).toBeLessThan(1_000);
        expectVerdict(verdict, fields.signed);
      },
    );
  });
});
