import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deltaStatement,
  sealAdvert,
  signatureProblem,
  signWith,
  verifyByPeerId,
  versionStatement,
} from '../../protocols/adverts/statements.ts';
import type { DeltaAdvert, FraudAdvert, VersionAdvert } from '../../protocols/messages.ts';

const hash = (fill: string): string => fill.repeat(64).slice(0, 64);
const TASK = 'mnist-demo';

interface Member {
  readonly id: string;
  readonly key: PrivateKey;
}

let trainer: Member, curator: Member, forger: Member;
beforeAll(async () => {
  const member = async (seed: number): Promise<Member> => {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed));
    return { id: peerIdFromPrivateKey(key).toString(), key };
  };
  [trainer, curator, forger] = await Promise.all([member(1), member(2), member(3)]);
});

const seal = <A extends DeltaAdvert | VersionAdvert>(by: Member, advert: A): A => sealAdvert(advert, by.id, signWith(by.key)) as A;
const problem = (advert: DeltaAdvert | VersionAdvert | FraudAdvert, from: string) => signatureProblem(advert, from, verifyByPeerId);

function delta(overrides: Partial<DeltaAdvert> = {}): DeltaAdvert {
  return { kind: 'delta', task: TASK, round: 5, base: hash('a'), delta: hash('b'), bytes: 100, samples: 60, metrics: { loss: 1, accuracy: 0.5 }, sentAt: 1, ...overrides };
}

/** Round 5's version from base a with the trainer's delta b, curated (and signed) by `by`. */
function version(by: Member, overrides: Partial<VersionAdvert> = {}): VersionAdvert {
  const contribution = seal(trainer, delta());
  return seal(by, {
    kind: 'version',
    task: TASK,
    round: 5,
    hash: hash('c'),
    parent: hash('a'),
    bytes: 2000,
    contributors: [{ peer: trainer.id, delta: contribution.delta, samples: 60, signature: contribution.signature! }],
    merged: [],
    curator: by.id,
    sentAt: 2,
    ...overrides,
  });
}

describe('signed statements', () => {
  it('gives the known-answer statements and signatures of PROTOCOL §5.9', async () => {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(1));
    const id = peerIdFromPrivateKey(key).toString();
    expect(id).toBe('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5');
    const B = '419188a2c45709ffdb55d71e5732d98ac0e426b379cfa328e5e18d6f29b74c23';
    const X = '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
    const Y = 'a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa';
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const statement = deltaStatement({ task: 'kat-task', round: 1, base: B, delta: X, samples: 100 });
    expect(hex(statement)).toBe(`676f73736970666c2f64656c74612f3100 0a086b61742d7461736b 1001 1a20${B} 2220${X} 2864`.replaceAll(' ', ''));
    const signature = signWith(key)(statement);
    expect(hex(signature)).toBe('402d9c558ebc57fb21e6de381be2b96232b6a42746930ecd0c45a8de9501606011e853a6c7f1da38897a6f46eb41203ff4f8305f30a3437e0e90a7dc4002e203');
    const peer = '0024080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c';
    const claim = { round: 1, hash: Y, parent: B, bytes: 36, contributors: [{ peer: id, delta: X, samples: 100, signature }], merged: [], curator: id };
    const version = versionStatement('kat-task', claim);
    expect(hex(version)).toBe(
      `676f73736970666c2f76657273696f6e2f3100 0a086b61742d7461736b 1001 1a20${Y} 2220${B} 2824 328e01 0a26${peer} 1220${X} 1864 2240${hex(signature)} 4226${peer}`.replaceAll(' ', ''),
    );
    expect(hex(signWith(key)(version))).toBe('3377ed044676f5b7b15c2c9461659af98c8a9a333959fa3ab8a0820c4f67d931776724924af8612da63071fba407ef8a3b4280c7f0b16b09ea976c5c7a0e240e');
  });

  it('starts with the domain and a zero byte, then the protobuf statement; sentAt and metrics are not signed', () => {
    const statement = deltaStatement(delta());
    expect(Buffer.from(statement.subarray(0, 17)).toString('latin1')).toBe('gossipfl/delta/1\u0000');
    expect(deltaStatement(delta({ sentAt: 99, metrics: { loss: 0, accuracy: 1 }, bytes: 7 }))).toEqual(statement);
    expect(deltaStatement(delta({ samples: 61 }))).not.toEqual(statement);
    const v = version(curator);
    expect(Buffer.from(versionStatement(TASK, v).subarray(0, 19)).toString('latin1')).toBe('gossipfl/version/1\u0000');
  });

  it('accepts what honest peers seal, and a version re-published by anyone', () => {
    expect(problem(seal(trainer, delta()), trainer.id)).toBeUndefined();
    const v = version(curator);
    expect(problem(v, curator.id)).toBeUndefined();
    expect(problem({ ...v, sentAt: 99 }, forger.id)).toBeUndefined(); // a re-publisher copies the curator's signature
  });

  it('seals only its own parts: a curator signs its own contribution and the version, never others', () => {
    const own = seal(curator, delta());
    const sealed = seal(curator, { ...version(curator), signature: undefined, contributors: [{ peer: curator.id, delta: own.delta, samples: 60 }] } as VersionAdvert);
    expect(sealed.contributors[0]!.signature).toEqual(own.signature);
    expect(problem(sealed, curator.id)).toBeUndefined();
    const unsignedOther = seal(curator, { ...version(curator), signature: undefined, contributors: [{ peer: trainer.id, delta: hash('b'), samples: 60 }] } as VersionAdvert);
    expect(problem(unsignedOther, curator.id)).toBe(`contributor 0 (${trainer.id}) is not signed`);
  });

  it('refuses an unsigned delta, a delta signed by another, and a replayed one', () => {
    expect(problem(delta(), trainer.id)).toBe('the delta advert is not signed');
    expect(problem(seal(forger, delta()), trainer.id)).toBe(`the delta advert's signature is not ${trainer.id}'s`);
    expect(problem(seal(trainer, delta()), forger.id)).toBe(`the delta advert's signature is not ${forger.id}'s`);
  });

  it('refuses a contribution the curator invented, inflated or moved to another round or base', () => {
    const v = version(curator);
    const signedBy = (c: VersionAdvert['contributors'][number]) => ({ ...c, signature: seal(forger, delta()).signature! });
    const cases: [string, VersionAdvert][] = [
      ['invented', seal(curator, { ...v, signature: undefined, contributors: [signedBy(v.contributors[0]!)] } as VersionAdvert)],
      ['inflated samples', seal(curator, { ...v, signature: undefined, contributors: [{ ...v.contributors[0]!, samples: 6000 }] } as VersionAdvert)],
      ['another round', seal(curator, { ...v, signature: undefined, round: 6 } as VersionAdvert)],
      ['another base', seal(curator, { ...v, signature: undefined, parent: hash('9') } as VersionAdvert)],
    ];
    for (const [what, forged] of cases) expect(problem(forged, curator.id), what).toMatch(/^contributor 0's signature is not /);
  });

  it('refuses a version whose curator did not sign it: a re-publisher naming itself, or changed fields', () => {
    const v = version(curator);
    expect(problem({ ...v, curator: forger.id }, forger.id)).toBe(`the version's signature is not its curator ${forger.id}'s`);
    expect(problem({ ...v, hash: hash('d') }, forger.id)).toBe(`the version's signature is not its curator ${curator.id}'s`);
    expect(problem({ ...v, signature: undefined }, curator.id)).toBe('the version names a curator but carries no signature');
  });

  it('checks the version a fraud advert accuses as it would check the version itself', () => {
    const { kind: _k, task: _t, sentAt: _s, metrics: _m, ...claim } = version(curator);
    const fraud = (accused: typeof claim): FraudAdvert => ({ kind: 'fraud', task: TASK, round: accused.round, version: accused, recomputed: hash('e'), sentAt: 3 });
    expect(problem(fraud(claim), forger.id)).toBeUndefined();
    expect(problem(fraud({ ...claim, bytes: 1 }), forger.id)).toBe(`the accused version: the version's signature is not its curator ${curator.id}'s`);
    const { curator: _c, signature: _sig, ...merge } = claim;
    expect(problem(fraud(merge), forger.id)).toMatch(/has no curator/);
  });
});
