/**
 * The wire form of adverts: `Advert` (protocols/messages.ts) ⇄ protobuf `AdvertEnvelope`
 * (adverts.proto, generated code in generated/). Both directions check the same rules, so
 * what `encodeAdvert` accepts `decodeAdvert` returns unchanged (round trip exact), and what a
 * peer sends that breaks a rule is refused with the precise reason:
 *
 * - exactly one body (delta, version or presence);
 * - task: non-empty, at most `maxTaskLength` characters;
 * - hashes: 32 bytes on the wire, lowercase hex (64 characters) in TypeScript;
 * - peer ids: the PeerId's multihash bytes on the wire (as libp2p's own protobufs), the
 *   canonical string (base58btc) in TypeScript;
 * - counts (round, bytes, samples, age, sentAt): integers in [0, 2^53 − 1];
 * - metrics (loss, accuracy): finite doubles;
 * - size: at most `maxBytes` encoded bytes, `maxContributors` contributors, `maxMerged`
 *   merged versions.
 */
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id';
import * as Digest from 'multiformats/hashes/digest';
import { GossipflError } from '../../node/errors.ts';
import type { Advert, Contributor, Hash, ValidationMetrics, VersionClaim } from '../messages.ts';
import { AdvertEnvelope, type Contributor as WireContributor, type VersionBody as WireVersionBody } from './generated/adverts.js';

/** Limits on one advert. Defaults: `DEFAULT_ADVERT_LIMITS`. */
export interface AdvertLimits {
  /** Encoded size. */
  readonly maxBytes: number;
  readonly maxContributors: number;
  readonly maxMerged: number;
  readonly maxTaskLength: number;
}

/**
 * 1 MiB fits 10,000 contributors (≈ 80 bytes each with Ed25519 peer ids) and stays well
 * under gossipsub's 4 MiB message cap.
 */
export const DEFAULT_ADVERT_LIMITS: AdvertLimits = {
  maxBytes: 1024 * 1024,
  maxContributors: 10_000,
  maxMerged: 64,
  maxTaskLength: 256,
};

/** An advert that breaks a rule of the wire format; `reason` says which. */
export class AdvertError extends GossipflError {
  override name = 'AdvertError';
  readonly reason: string;
  constructor(prefix: string, reason: string, options?: ErrorOptions) {
    super(`${prefix}: ${reason}`, options);
    this.reason = reason;
  }
}

/** Received bytes that are not a valid advert. */
export class AdvertDecodeError extends AdvertError {
  override name = 'AdvertDecodeError';
  constructor(reason: string, options?: ErrorOptions) {
    super('invalid advert', reason, options);
  }
}

/** An advert this peer was about to send that breaks a rule (a bug in the caller). */
export class AdvertEncodeError extends AdvertError {
  override name = 'AdvertEncodeError';
  constructor(reason: string, options?: ErrorOptions) {
    super('cannot encode advert', reason, options);
  }
}

const HASH_BYTES = 32;
const HEX_HASH = /^[0-9a-f]{64}$/;

type Fail = (reason: string, cause?: unknown) => never;

const failEncode: Fail = (reason, cause) => {
  throw new AdvertEncodeError(reason, cause === undefined ? undefined : { cause });
};
const failDecode: Fail = (reason, cause) => {
  throw new AdvertDecodeError(reason, cause === undefined ? undefined : { cause });
};

export function encodeAdvert(advert: Advert, limits: AdvertLimits = DEFAULT_ADVERT_LIMITS): Uint8Array {
  checkTask(advert.task, limits, failEncode);
  const sentAt = count(advert.sentAt, 'sentAt', failEncode);
  const envelope: AdvertEnvelope = { task: advert.task, sentAt };
  switch (advert.kind) {
    case 'delta':
      envelope.delta = {
        round: count(advert.round, 'round', failEncode),
        base: hashToBytes(advert.base, 'base'),
        delta: hashToBytes(advert.delta, 'delta'),
        bytes: count(advert.bytes, 'bytes', failEncode),
        samples: count(advert.samples, 'samples', failEncode),
        loss: metric(advert.metrics.loss, 'metrics.loss', failEncode),
        accuracy: metric(advert.metrics.accuracy, 'metrics.accuracy', failEncode),
        ...signatureField(advert.signature, 'signature', failEncode),
      };
      break;
    case 'version':
      envelope.version = encodeVersionBody(advert, limits);
      break;
    case 'fraud':
      if (advert.round !== advert.version.round) failEncode(`round ${advert.round} is not the accused version's round ${advert.version.round}`);
      envelope.fraud = { version: encodeVersionBody(advert.version, limits), recomputed: hashToBytes(advert.recomputed, 'recomputed') };
      break;
    case 'presence':
      envelope.presence = {
        round: count(advert.round, 'round', failEncode),
        head: hashToBytes(advert.head, 'head'),
        age: count(advert.age, 'age', failEncode),
      };
      break;
    default: {
      const unknown: never = advert;
      failEncode(`unknown advert kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
  const bytes = AdvertEnvelope.encode(envelope);
  if (bytes.byteLength > limits.maxBytes) {
    failEncode(`${bytes.byteLength} bytes encoded, more than the limit of ${limits.maxBytes}`);
  }
  return bytes;
}

export function decodeAdvert(bytes: Uint8Array, limits: AdvertLimits = DEFAULT_ADVERT_LIMITS): Advert {
  if (bytes.byteLength > limits.maxBytes) {
    failDecode(`${bytes.byteLength} bytes, more than the limit of ${limits.maxBytes}`);
  }
  let envelope: AdvertEnvelope;
  try {
    envelope = AdvertEnvelope.decode(bytes, {
      limits: { version: { contributors: limits.maxContributors, merged: limits.maxMerged } },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failDecode(`not a protobuf AdvertEnvelope (${message})`, error);
  }
  const bodies = (['delta', 'version', 'presence', 'fraud'] as const).filter((body) => envelope[body] !== undefined);
  if (bodies.length === 0) failDecode('no body: one of delta, version, presence or fraud must be set');
  if (bodies.length > 1) failDecode(`more than one body (${bodies.join(', ')}): exactly one must be set`);
  checkTask(envelope.task, limits, failDecode);
  const task = envelope.task;
  const sentAt = count(envelope.sentAt, 'sentAt', failDecode);

  if (envelope.delta !== undefined) {
    const body = envelope.delta;
    return {
      kind: 'delta',
      task,
      round: count(body.round, 'round', failDecode),
      base: bytesToHash(body.base, 'base'),
      delta: bytesToHash(body.delta, 'delta'),
      bytes: count(body.bytes, 'bytes', failDecode),
      samples: count(body.samples, 'samples', failDecode),
      metrics: {
        loss: metric(body.loss, 'metrics.loss', failDecode),
        accuracy: metric(body.accuracy, 'metrics.accuracy', failDecode),
      },
      sentAt,
      ...signatureField(body.signature, 'signature', failDecode),
    };
  }
  if (envelope.version !== undefined) {
    const { metrics, ...claim } = decodeVersionBody(envelope.version);
    return { kind: 'version', task, ...claim, ...(metrics === undefined ? {} : { metrics }), sentAt };
  }
  if (envelope.fraud !== undefined) {
    const body = envelope.fraud;
    if (body.version === undefined) failDecode('fraud.version is missing');
    const { metrics: _unsigned, ...version } = decodeVersionBody(body.version, 'fraud.version.');
    return { kind: 'fraud', task, round: version.round, version, recomputed: bytesToHash(body.recomputed, 'fraud.recomputed'), sentAt };
  }
  const body = envelope.presence;
  if (body === undefined) return failDecode('no body: one of delta, version, presence or fraud must be set');
  return {
    kind: 'presence',
    task,
    round: count(body.round, 'round', failDecode),
    head: bytesToHash(body.head, 'head'),
    age: count(body.age, 'age', failDecode),
    sentAt,
  };
}

function encodeVersionBody(version: VersionClaim & { readonly metrics?: ValidationMetrics }, limits: AdvertLimits): WireVersionBody {
  if (version.signature !== undefined && version.curator === undefined) failEncode('signature without a curator');
  if (version.curator !== undefined && version.signature === undefined) failEncode('curator without a signature (the transport signs before encoding)');
  if (version.contributors.length > limits.maxContributors) {
    failEncode(`${version.contributors.length} contributors, more than the limit of ${limits.maxContributors}`);
  }
  if (version.merged.length > limits.maxMerged) {
    failEncode(`${version.merged.length} merged versions, more than the limit of ${limits.maxMerged}`);
  }
  return {
    round: count(version.round, 'round', failEncode),
    hash: hashToBytes(version.hash, 'hash'),
    parent: hashToBytes(version.parent, 'parent'),
    bytes: count(version.bytes, 'bytes', failEncode),
    contributors: version.contributors.map((contributor, index) => encodeContributor(contributor, `contributors[${index}].`)),
    merged: version.merged.map((hash, index) => hashToBytes(hash, `merged[${index}]`)),
    ...(version.metrics === undefined
      ? {}
      : {
          metrics: {
            loss: metric(version.metrics.loss, 'metrics.loss', failEncode),
            accuracy: metric(version.metrics.accuracy, 'metrics.accuracy', failEncode),
            samples: count(version.metrics.samples, 'metrics.samples', failEncode),
          },
        }),
    ...(version.patch === undefined ? {} : { patch: hashToBytes(version.patch, 'patch') }),
    ...(version.curator === undefined ? {} : { curator: peerIdBytes(version.curator, 'curator') }),
    ...signatureField(version.signature, 'signature', failEncode),
  };
}

/** A contributor's wire form (also inside the version statement). */
export function encodeContributor(contributor: Contributor, field: string): WireContributor {
  return {
    peer: peerIdBytes(contributor.peer, `${field}peer`),
    delta: hashToBytes(contributor.delta, `${field}delta`),
    samples: count(contributor.samples, `${field}samples`, failEncode),
    ...signatureField(contributor.signature, `${field}signature`, failEncode),
  };
}

function decodeVersionBody(body: WireVersionBody, field = ''): VersionClaim & { readonly metrics?: ValidationMetrics } {
  if (body.signature !== undefined && body.curator === undefined) failDecode(`${field}signature without a curator`);
  if (body.curator !== undefined && body.signature === undefined) failDecode(`${field}curator without a signature`);
  return {
    round: count(body.round, `${field}round`, failDecode),
    hash: bytesToHash(body.hash, `${field}hash`),
    parent: bytesToHash(body.parent, `${field}parent`),
    bytes: count(body.bytes, `${field}bytes`, failDecode),
    contributors: body.contributors.map((contributor, index) => decodeContributor(contributor, `${field}contributors[${index}].`)),
    merged: body.merged.map((hash, index) => bytesToHash(hash, `${field}merged[${index}]`)),
    ...(body.metrics === undefined
      ? {}
      : {
          metrics: {
            loss: metric(body.metrics.loss, `${field}metrics.loss`, failDecode),
            accuracy: metric(body.metrics.accuracy, `${field}metrics.accuracy`, failDecode),
            samples: count(body.metrics.samples, `${field}metrics.samples`, failDecode),
          },
        }),
    ...(body.patch === undefined ? {} : { patch: bytesToHash(body.patch, `${field}patch`) }),
    ...(body.curator === undefined ? {} : { curator: bytesToPeer(body.curator, `${field}curator`) }),
    ...signatureField(body.signature, `${field}signature`, failDecode),
  };
}

function decodeContributor(contributor: WireContributor, field: string): Contributor {
  return {
    peer: bytesToPeer(contributor.peer, `${field}peer`),
    delta: bytesToHash(contributor.delta, `${field}delta`),
    samples: count(contributor.samples, `${field}samples`, failDecode),
    ...signatureField(contributor.signature, `${field}signature`, failDecode),
  };
}

/** Ed25519 signatures are 64 bytes; an empty one (proto3's default) is no signature. */
const SIGNATURE_BYTES = 64;

function signatureField(signature: Uint8Array | undefined, field: string, fail: Fail): { signature?: Uint8Array<ArrayBuffer> } {
  if (signature === undefined || signature.byteLength === 0) return {};
  if (signature.byteLength !== SIGNATURE_BYTES) fail(`${field} must be a ${SIGNATURE_BYTES}-byte Ed25519 signature, got ${signature.byteLength} bytes`);
  return { signature: Uint8Array.from(signature) };
}

function checkTask(task: string, limits: AdvertLimits, fail: Fail): void {
  if (typeof task !== 'string' || task === '') fail('empty task id');
  if (task.length > limits.maxTaskLength) {
    fail(`task id of ${task.length} characters, more than the limit of ${limits.maxTaskLength}`);
  }
  // The protobuf reader decodes invalid UTF-8 leniently (a lone surrogate, U+FFFD): refuse what
  // an honest encoder cannot have written, so that one advert has one reading.
  if (!task.isWellFormed() || task.includes('\uFFFD')) fail('task id is not well-formed UTF-8');
}

function count(value: number, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${field} must be an integer in [0, 2^53 - 1], got ${String(value)}`);
  }
  return value;
}

function metric(value: number, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${field} must be a finite number, got ${String(value)}`);
  return value;
}

function hashToBytes(hash: Hash, field: string): Uint8Array<ArrayBuffer> {
  if (typeof hash !== 'string' || !HEX_HASH.test(hash)) {
    failEncode(`${field} must be a sha256 hash as 64 lowercase hex characters, got ${JSON.stringify(hash)}`);
  }
  return Uint8Array.from(Buffer.from(hash, 'hex'));
}

function bytesToHash(bytes: Uint8Array, field: string): Hash {
  if (bytes.byteLength !== HASH_BYTES) {
    failDecode(`${field} must be a ${HASH_BYTES}-byte sha256 hash, got ${bytes.byteLength} bytes`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The binary form of a peer id (its multihash), as in every protobuf of libp2p. */
export function peerIdBytes(peer: string, field: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array;
  try {
    const id = peerIdFromString(peer);
    if (id.toString() !== peer) throw new Error(`not in canonical form (${id.toString()})`);
    bytes = id.toMultihash().bytes;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failEncode(`${field} must be a peer id string, got ${JSON.stringify(peer)} (${message})`, error);
  }
  return Uint8Array.from(bytes);
}

function bytesToPeer(bytes: Uint8Array, field: string): string {
  try {
    return peerIdFromMultihash(Digest.decode(bytes)).toString();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failDecode(`${field} is not a peer id (${bytes.byteLength} bytes: ${message})`, error);
  }
}
