/**
 * Signed tasks. A task is signed by its creator's libp2p Ed25519 key; peers verify the
 * signature before anything else and identify the task by (id, taskHash).
 *
 * Canonical manifest bytes: the manifest with every default filled in (as `parseTaskManifest`
 * returns it), written as canonical JSON (`canonical.ts`: RFC 8785 / JCS — keys sorted by
 * UTF-16 code units, no whitespace, ECMAScript number form, UTF-8).
 *
 *   taskHash       = lowercase hex SHA-256(canonical manifest bytes)
 *   signed message = UTF-8("gossipfl-signed-task/1\n") ‖ canonical manifest bytes
 *   signature      = Ed25519 signature (64 bytes) of the signed message by the signer's key
 *
 * Envelope file (YAML or JSON; exactly these four or five fields, no others):
 *
 *   format: gossipfl-signed-task/1
 *   signer: <the signer's peer ID string, an Ed25519 identity peer ID (12D3KooW…)>
 *   taskHash: <taskHash, 64 lowercase hex digits>   # optional; when present it must match
 *   signature: <standard base64 (RFC 4648 §4, with padding) of the 64-byte signature>
 *   manifest: <the manifest as a mapping, every field explicit>
 *
 * The signature covers the *canonical* form, so the envelope may be reformatted (YAML ↔ JSON,
 * key order, indentation) freely. The stated taskHash only serves the error message: it tells
 * "manifest changed after signing" apart from "signed by another key". A verifier also
 * requires the signed manifest to state every field explicitly (defaults included), so the
 * meaning of a task never depends on the verifier's version of the defaults.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { stringify } from 'yaml';
import { GossipflError } from '../errors.ts';
import { CanonicalJsonError, canonicalJson, canonicalJsonBytes } from './canonical.ts';
import { checkKnownKeys, describe, isMapping, parseText, Problems } from './fields.ts';
import { validateTaskManifest, type TaskManifest } from './manifest.ts';

export const SIGNED_TASK_FORMAT = 'gossipfl-signed-task/1';
const SIGNING_PREFIX = new TextEncoder().encode(`${SIGNED_TASK_FORMAT}\n`);
const ENVELOPE_KEYS = ['format', 'signer', 'taskHash', 'signature', 'manifest'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_HASH = /^[0-9a-f]{64}$/;

/** Why a signed task was refused. */
export type TaskSignatureProblem =
  /** A plain manifest, or an envelope without a signature or signer. */
  | 'unsigned'
  /** Not an envelope: bad syntax, unknown format, unknown or missing fields. */
  | 'malformed'
  /** The signer field is not an Ed25519 peer ID. */
  | 'bad-signer'
  /** The signature field is not base64 of 64 bytes. */
  | 'garbled-signature'
  /** The manifest's hash differs from the one signed: it was changed after signing. */
  | 'tampered'
  /** The signature does not verify with the signer's key. */
  | 'wrong-signer';

export class TaskSignatureError extends GossipflError {
  override name = 'TaskSignatureError';
  readonly problem: TaskSignatureProblem;

  constructor(source: string, problem: TaskSignatureProblem, detail: string) {
    super(`${source}: ${detail}`);
    this.problem = problem;
  }
}

/** A task whose signature verified. */
export interface VerifiedTask {
  readonly manifest: TaskManifest;
  /** The signer's peer ID string. */
  readonly signer: string;
  /** Lowercase hex SHA-256 of the canonical manifest bytes. */
  readonly taskHash: string;
}

/** The canonical bytes of a manifest: what the task hash and the signature cover. */
export function canonicalTaskBytes(manifest: TaskManifest): Uint8Array {
  return canonicalJsonBytes(manifest);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lowercase hex SHA-256 of the canonical manifest bytes. */
export function taskHash(manifest: TaskManifest): string {
  return sha256Hex(canonicalTaskBytes(manifest));
}

function signedMessage(canonical: Uint8Array): Uint8Array {
  const message = new Uint8Array(SIGNING_PREFIX.length + canonical.length);
  message.set(SIGNING_PREFIX, 0);
  message.set(canonical, SIGNING_PREFIX.length);
  return message;
}

/**
 * Signs a manifest with an Ed25519 libp2p private key and returns the envelope file text
 * (YAML by default, or JSON). The manifest is re-validated and written with every default.
 */
export async function signTask(manifest: TaskManifest, privateKey: PrivateKey, format: 'yaml' | 'json' = 'yaml'): Promise<string> {
  if (privateKey.type !== 'Ed25519') {
    throw new TaskSignatureError('signTask', 'bad-signer', `tasks are signed with Ed25519 keys, got a ${privateKey.type} key`);
  }
  const complete = validateTaskManifest(manifest, `task ${manifest.id}`);
  const canonical = canonicalTaskBytes(complete);
  const signature = await privateKey.sign(signedMessage(canonical));
  const envelope = {
    format: SIGNED_TASK_FORMAT,
    signer: peerIdFromPrivateKey(privateKey).toString(),
    taskHash: sha256Hex(canonical),
    signature: Buffer.from(signature).toString('base64'),
    manifest: complete,
  };
  if (format === 'json') return `${JSON.stringify(envelope, null, 2)}\n`;
  const header = '# gossipfl signed task. Any change to the manifest invalidates the signature:\n# edit the manifest file and sign it again instead.\n';
  // Written with YAML 1.1 quoting rules (e.g. "no", "on", "y" are quoted) so that YAML 1.1
  // parsers read the same strings; the output is plain YAML 1.2 as well.
  return header + stringify(envelope, { lineWidth: 0, version: '1.1' });
}

/** Paths where a signed manifest differs from its complete form (missing defaults, numbers for labels…). */
function differences(raw: unknown, complete: unknown, path: string, out: string[]): void {
  if (isMapping(raw) && isMapping(complete)) {
    for (const key of new Set([...Object.keys(raw), ...Object.keys(complete)])) {
      differences(raw[key], complete[key], path === '' ? key : `${path}.${key}`, out);
    }
  } else if (raw === undefined && complete === undefined) {
    return;
  } else if (raw === undefined) {
    out.push(`${path} (missing; its value is ${describe(complete)})`);
  } else if (complete === undefined || canonicalJson(raw) !== canonicalJson(complete)) {
    out.push(`${path} (written ${describe(raw)}, means ${complete === undefined ? 'nothing: leave it out' : describe(complete)})`);
  }
}

/**
 * Verifies a signed task file's text. Throws `TaskSignatureError` for an unsigned, malformed,
 * tampered or wrongly signed task, and `TaskManifestError` for a validly signed manifest that
 * is invalid or incomplete. Never accepts an unsigned manifest.
 */
export async function verifySignedTask(text: string, source: string): Promise<VerifiedTask> {
  const parsed = parseText(text, 'signed task');
  if ('problems' in parsed) throw new TaskSignatureError(source, 'malformed', `not a readable signed task: ${parsed.problems.join('; ')}`);
  const envelope = parsed.value;
  if (!isMapping(envelope)) throw new TaskSignatureError(source, 'malformed', `a signed task must be a mapping, got ${describe(envelope)}`);
  if (envelope['format'] === undefined && (envelope['version'] !== undefined || envelope['id'] !== undefined)) {
    throw new TaskSignatureError(source, 'unsigned', 'this is an unsigned task manifest; peers only accept signed tasks (sign it with the creator\'s key, e.g. `gossipfl task sign`)');
  }
  const problems = new Problems();
  checkKnownKeys(envelope, ENVELOPE_KEYS, '', problems);
  if (envelope['format'] !== SIGNED_TASK_FORMAT) problems.add('format', `must be ${SIGNED_TASK_FORMAT}, got ${describe(envelope['format'])}`);
  if (!isMapping(envelope['manifest'])) problems.add('manifest', `must be the task manifest (a mapping), got ${describe(envelope['manifest'])}`);
  if (problems.list.length > 0) throw new TaskSignatureError(source, 'malformed', `not a valid signed task: ${problems.list.join('; ')}`);

  const { signer, signature, taskHash: statedHash } = envelope;
  if (signature === undefined || signature === null || signature === '') throw new TaskSignatureError(source, 'unsigned', 'the task has no signature; peers only accept signed tasks');
  if (signer === undefined || signer === null || signer === '') throw new TaskSignatureError(source, 'unsigned', 'the task names no signer; peers only accept signed tasks');
  if (typeof signer !== 'string') throw new TaskSignatureError(source, 'bad-signer', `signer must be a peer ID string, got ${describe(signer)}`);
  let publicKey;
  try {
    publicKey = peerIdFromString(signer).publicKey;
  } catch {
    publicKey = undefined;
  }
  if (publicKey?.type !== 'Ed25519') throw new TaskSignatureError(source, 'bad-signer', `signer ${describe(signer)} is not an Ed25519 peer ID`);
  const signatureBytes = typeof signature === 'string' && BASE64.test(signature) ? Buffer.from(signature, 'base64') : undefined;
  if (signatureBytes?.length !== 64) throw new TaskSignatureError(source, 'garbled-signature', 'the signature is garbled: it must be the base64 of a 64-byte Ed25519 signature');
  if (statedHash !== undefined && (typeof statedHash !== 'string' || !HEX_HASH.test(statedHash))) {
    throw new TaskSignatureError(source, 'malformed', `taskHash must be 64 lowercase hex digits, got ${describe(statedHash)}`);
  }

  let canonical: Uint8Array;
  try {
    canonical = canonicalJsonBytes(envelope['manifest']);
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw new TaskSignatureError(source, 'malformed', `the manifest holds a value with no JSON form (${error.message})`);
    throw error;
  }
  const hash = sha256Hex(canonical);
  if (!(await publicKey.verify(signedMessage(canonical), signatureBytes))) {
    if (statedHash !== undefined && statedHash !== hash) {
      throw new TaskSignatureError(source, 'tampered', `the manifest was changed after it was signed (its hash is ${hash}, the signed one ${statedHash}); the task is refused`);
    }
    throw new TaskSignatureError(source, 'wrong-signer', `the signature was not made by the signer ${signer} (wrong key, or the manifest or signature was altered); the task is refused`);
  }

  const manifest = validateTaskManifest(envelope['manifest'], `${source} (manifest)`);
  const changed: string[] = [];
  differences(envelope['manifest'], manifest, '', changed);
  if (changed.length > 0) {
    throw new TaskSignatureError(source, 'malformed', `a signed manifest must state every field exactly as meant, defaults included; differs at ${changed.join(', ')}. Sign the manifest again with signTask / \`gossipfl task sign\``);
  }
  return { manifest, signer, taskHash: hash };
}

/** Reads and verifies a signed task file. */
export async function readSignedTask(path: string): Promise<VerifiedTask> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TaskSignatureError(path, 'malformed', `cannot read the signed task file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return verifySignedTask(text, path);
}
