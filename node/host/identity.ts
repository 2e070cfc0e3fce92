/**
 * The peer's persistent identity: one libp2p private key in a file (protobuf-marshalled, the
 * format libp2p and kubo use), created on first start with mode 0600 and reused afterwards, so
 * the PeerId survives restarts. An existing file that cannot be read or parsed is an error and is
 * never replaced: replacing it would silently change the peer's identity.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { readFile, stat } from 'node:fs/promises';
import { GossipflError } from '../errors.ts';
import { errorCode, errorMessage, formatMode, isModeTooPermissive, writeNewFileAtomic } from './files.ts';

export class IdentityError extends GossipflError {
  override name = 'IdentityError';
}

export interface Identity {
  readonly privateKey: PrivateKey;
  readonly peerId: PeerId;
  /** The key file. */
  readonly path: string;
  /** True when this call generated the key and wrote the file. */
  readonly created: boolean;
  /**
   * True when the file's mode lets the group or others access it (more permissive than 0600).
   * The key is still used; the caller should warn (see `warning`).
   */
  readonly tooPermissive: boolean;
  /** A sentence for the user when something is wrong but not fatal, e.g. the file mode. */
  readonly warning: string | undefined;
}

const KEY_FILE_MODE = 0o600;

/**
 * Reads the identity at `path`, or, if no file exists there, generates an Ed25519 key and writes
 * it (folders created, file mode 0600, written atomically, never over a file that appeared in the
 * meantime). Throws IdentityError when the file exists but is unreadable or not a libp2p key.
 */
export async function loadOrCreateIdentity(path: string): Promise<Identity> {
  const existing = await readIdentity(path);
  if (existing !== undefined) return existing;

  const privateKey = await generateKeyPair('Ed25519');
  let written: boolean;
  try {
    written = await writeNewFileAtomic(path, privateKeyToProtobuf(privateKey), KEY_FILE_MODE);
  } catch (error) {
    throw new IdentityError(
      `cannot create the identity key file ${path} (${errorMessage(error)}); ` +
        'check that its folder is writable, or choose another path',
    );
  }
  if (!written) {
    // Another process created it between our read and our write: use theirs.
    const raced = await readIdentity(path);
    if (raced === undefined) throw new IdentityError(`the identity key file ${path} vanished while it was being created; start again`);
    return raced;
  }
  return {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey),
    path,
    created: true,
    tooPermissive: false,
    warning: undefined,
  };
}

/** The identity stored at `path`, or undefined when there is no file there. */
async function readIdentity(path: string): Promise<Identity | undefined> {
  let mode: number;
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      throw new IdentityError(`the identity key path ${path} exists but is not a file; move it away or choose another path`);
    }
    mode = info.mode;
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof IdentityError) throw error;
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new IdentityError(
      `cannot read the identity key file ${path} (${errorMessage(error)}); ` +
        'fix its permissions so this user can read it — it was left as it is',
    );
  }

  let privateKey: PrivateKey;
  try {
    if (bytes.byteLength === 0) throw new Error('the file is empty');
    privateKey = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new IdentityError(
      `the identity key file ${path} is not a valid libp2p private key (${errorMessage(error)}). ` +
        'It was left untouched: restore it from a backup, or move it away to start with a new ' +
        'identity (the peer ID will change)',
    );
  }

  const tooPermissive = isModeTooPermissive(mode);
  return {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey),
    path,
    created: false,
    tooPermissive,
    warning: tooPermissive
      ? `the identity key file ${path} has mode ${formatMode(mode)}: other users may read this peer's private key; run \`chmod 600 ${path}\``
      : undefined,
  };
}
