/**
 * Signed statements (PROTOCOL §5.9): what a trainer signs about its delta and a curator about its
 * version, so that a version advert proves, on its own, who aggregated it and that every listed
 * contribution was offered by its trainer for that round and base. Gossipsub's StrictSign
 * authenticates only an advert's sender; these signatures travel with the content when others
 * re-publish it (a version advert copied by a peer catching up, a contribution listed by a curator).
 *
 *     statement = utf8(domain) ‖ 0x00 ‖ protobuf(DeltaStatement | VersionStatement)
 *
 * Both are Ed25519 signatures by the key of the signer's peer id. The transport of a peer fills in
 * its own signatures as it publishes (`sealAdvert`) and checks every signature of what it receives
 * (`signatureProblem`), so the round engine never handles keys.
 */
import type { PrivateKey, PublicKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Advert, Contributor, DeltaAdvert, Hash, PeerIdString, VersionAdvert, VersionClaim } from '../messages.ts';
import { encodeContributor, peerIdBytes } from './codec.ts';
import { DeltaStatement, VersionStatement } from './generated/adverts.js';

export const DELTA_DOMAIN = 'gossipfl/delta/1';
export const VERSION_DOMAIN = 'gossipfl/version/1';

/** Signs a statement with this peer's key. */
export type SignStatement = (statement: Uint8Array) => Uint8Array;
/** Whether `signature` is `peer`'s signature over `statement`. */
export type VerifyStatement = (peer: PeerIdString, statement: Uint8Array, signature: Uint8Array) => boolean;

/** The fields of a contribution its trainer signs. */
export interface DeltaFacts {
  readonly task: string;
  readonly round: number;
  readonly base: Hash;
  readonly delta: Hash;
  readonly samples: number;
}

const hex = (hash: Hash) => Uint8Array.from(Buffer.from(hash, 'hex'));

function withDomain(domain: string, body: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`${domain}\u0000`, 'utf8');
  const out = new Uint8Array(prefix.byteLength + body.byteLength);
  out.set(prefix, 0);
  out.set(body, prefix.byteLength);
  return out;
}

export function deltaStatement(facts: DeltaFacts): Uint8Array {
  return withDomain(
    DELTA_DOMAIN,
    DeltaStatement.encode({ task: facts.task, round: facts.round, base: hex(facts.base), delta: hex(facts.delta), samples: facts.samples }),
  );
}

/** The facts a contributor of version `version` (of task `task`) signed. */
export function contributionFacts(task: string, version: Pick<VersionClaim, 'round' | 'parent'>, contributor: Contributor): DeltaFacts {
  return { task, round: version.round, base: version.parent, delta: contributor.delta, samples: contributor.samples };
}

export function versionStatement(task: string, version: VersionClaim): Uint8Array {
  if (version.curator === undefined) throw new Error('a version without a curator (a merge) has no version statement');
  const body = VersionStatement.encode({
    task,
    round: version.round,
    hash: hex(version.hash),
    parent: hex(version.parent),
    bytes: version.bytes,
    contributors: version.contributors.map((c, i) => encodeContributor(c, `contributors[${i}].`)),
    ...(version.patch === undefined ? {} : { patch: hex(version.patch) }),
    curator: peerIdBytes(version.curator, 'curator'),
  });
  return withDomain(VERSION_DOMAIN, body);
}

/**
 * `advert` with every signature that is `self`'s to give filled in: its delta statement, its own
 * entries among a version's contributors, and the version statement of a version it curated.
 * Signatures already there are kept (Ed25519 signatures are deterministic: signing again gives
 * the same bytes). Adverts of other kinds, and other peers' parts, are returned unchanged.
 */
export function sealAdvert(advert: Advert, self: PeerIdString, sign: SignStatement): Advert {
  switch (advert.kind) {
    case 'delta':
      return advert.signature !== undefined ? advert : { ...advert, signature: sign(deltaStatement(advert)) };
    case 'version': {
      const contributors = advert.contributors.map((c) =>
        c.peer === self && c.signature === undefined ? { ...c, signature: sign(deltaStatement(contributionFacts(advert.task, advert, c))) } : c,
      );
      const sealed: VersionAdvert = { ...advert, contributors };
      if (advert.curator !== self || advert.signature !== undefined) return sealed;
      return { ...sealed, signature: sign(versionStatement(advert.task, sealed)) };
    }
    default:
      return advert;
  }
}

/**
 * Why the signatures of `advert`, sent by `from`, do not hold — undefined when they do:
 * - a delta advert carries its sender's signature over its delta statement;
 * - in a version advert (and in the version a fraud advert accuses), every contributor carries
 *   its trainer's signature over the delta statement for the version's round and parent, and a
 *   version with a curator carries the curator's signature over the version statement.
 */
export function signatureProblem(advert: Advert, from: PeerIdString, verify: VerifyStatement): string | undefined {
  switch (advert.kind) {
    case 'delta':
      return deltaSignatureProblem(advert, from, verify);
    case 'version':
      return versionSignatureProblem(advert.task, advert, verify);
    case 'fraud': {
      const problem = versionSignatureProblem(advert.task, advert.version, verify);
      if (problem !== undefined) return `the accused version: ${problem}`;
      if (advert.version.curator === undefined) return 'the accused version has no curator (a merge is recomputed by every peer, not audited)';
      return undefined;
    }
    default:
      return undefined;
  }
}

function deltaSignatureProblem(advert: DeltaAdvert, from: PeerIdString, verify: VerifyStatement): string | undefined {
  if (advert.signature === undefined) return 'the delta advert is not signed';
  return verify(from, deltaStatement(advert), advert.signature) ? undefined : `the delta advert's signature is not ${from}'s`;
}

function versionSignatureProblem(task: string, version: VersionClaim, verify: VerifyStatement): string | undefined {
  for (const [index, contributor] of version.contributors.entries()) {
    if (contributor.signature === undefined) return `contributor ${index} (${contributor.peer}) is not signed`;
    if (!verify(contributor.peer, deltaStatement(contributionFacts(task, version, contributor)), contributor.signature)) {
      return `contributor ${index}'s signature is not ${contributor.peer}'s over delta ${contributor.delta.slice(0, 12)} for round ${version.round} from ${version.parent.slice(0, 12)}`;
    }
  }
  if (version.curator === undefined) return undefined;
  if (version.signature === undefined) return 'the version names a curator but carries no signature';
  return verify(version.curator, versionStatement(task, version), version.signature) ? undefined : `the version's signature is not its curator ${version.curator}'s`;
}

/** Public keys of the peer ids verified lately (an Ed25519 peer id carries its key). */
const publicKeys = new Map<PeerIdString, PublicKey | null>();
const MAX_CACHED_KEYS = 4096;

/**
 * Verifies with the public key inside the peer id itself (Ed25519 and secp256k1 peer ids carry
 * it); a peer id that does not (RSA) cannot sign statements.
 */
export const verifyByPeerId: VerifyStatement = (peer, statement, signature) => {
  let key = publicKeys.get(peer);
  if (key === undefined) {
    try {
      key = peerIdFromString(peer).publicKey ?? null;
    } catch {
      key = null;
    }
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(peer, key);
  }
  if (key === null) return false;
  const verified = key.verify(statement, signature);
  if (verified instanceof Promise) throw new Error(`the key of ${peer} verifies asynchronously; only Ed25519 and secp256k1 ids can sign statements`);
  return verified;
};

/** Signs with a libp2p private key (Ed25519: synchronous). */
export function signWith(key: PrivateKey): SignStatement {
  return (statement) => {
    const signature = key.sign(statement);
    if (signature instanceof Promise) throw new Error(`a ${key.type} key signs asynchronously; peers sign statements with Ed25519 keys`);
    return Uint8Array.from(signature); // a plain Uint8Array (Node's crypto gives a Buffer), as decoded adverts carry

  };
}
