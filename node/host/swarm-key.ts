/**
 * Pre-shared keys for a private libp2p network (PSK v1, psk-protector.ts), in the standard `swarm.key`
 * format shared with kubo and go-libp2p:
 *
 *     /key/swarm/psk/1.0.0/
 *     /base16/
 *     <64 hex digits>
 *
 * (`/base64/` is accepted too, and `/bin/` followed by the 32 raw bytes, as go-libp2p reads it).
 * Only peers holding the same key can complete a TCP handshake.
 * A pre-shared key does NOT protect WebRTC connections: pair it with an allow-list.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GossipflError } from '../errors.ts';
import { errorCode, errorMessage, writeNewFileAtomic } from './files.ts';

export class SwarmKeyError extends GossipflError {
  override name = 'SwarmKeyError';
}

export interface SwarmKey {
  /** The 32 secret bytes. */
  readonly bytes: Uint8Array;
}

export const SWARM_KEY_LENGTH = 32;
const HEADER = '/key/swarm/psk/1.0.0/';
const BINARY = '/bin/';
const HOW_TO_FIX = 'use the swarm.key file the other peers of this network use, or generate a new one for a new network';

export function generateSwarmKey(): SwarmKey {
  return { bytes: new Uint8Array(randomBytes(SWARM_KEY_LENGTH)) };
}

/** The key in the standard file format, base16, with a final newline. */
export function formatSwarmKey(key: SwarmKey): string {
  return `${HEADER}\n/base16/\n${Buffer.from(key.bytes).toString('hex')}\n`;
}

/** A short digest of the key, safe to print, for checking that two peers hold the same key. */
export function swarmKeyFingerprint(key: SwarmKey): string {
  return createHash('sha256').update(key.bytes).digest('hex').slice(0, 16);
}

/**
 * Parses the standard swarm key format; `source` names the input in error messages (a path).
 * Throws SwarmKeyError saying which line is wrong.
 */
export function parseSwarmKey(input: string | Uint8Array, source = 'swarm key'): SwarmKey {
  const fail = (what: string): never => {
    throw new SwarmKeyError(`${source}: ${what}; a swarm key is three lines: "${HEADER}", "/base16/", 64 hex digits — ${HOW_TO_FIX}`);
  };
  const binary = typeof input === 'string' ? undefined : splitBinaryKey(input);
  if (binary !== undefined) {
    // go-libp2p's third encoding: the 32 raw key bytes follow line 2 (a final newline is allowed).
    if (binary.header !== HEADER) fail(`line 1 is ${describe(binary.header)}, expected "${HEADER}"`);
    const trailing = Buffer.from(binary.body.subarray(SWARM_KEY_LENGTH)).toString('latin1');
    if (binary.body.byteLength < SWARM_KEY_LENGTH || !['', '\n', '\r\n'].includes(trailing)) {
      fail(`a /bin/ key is exactly ${SWARM_KEY_LENGTH} bytes after line 2, got ${binary.body.byteLength}`);
    }
    return { bytes: binary.body.slice(0, SWARM_KEY_LENGTH) };
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const lines = text.split(/\r\n|\r|\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const [header, encoding, value, ...rest] = lines;
  if (header !== HEADER) fail(`line 1 is ${describe(header)}, expected "${HEADER}"`);
  if (value === undefined) fail('the key line (line 3) is missing');
  if (rest.length > 0) fail(`unexpected text after line 3`);
  const encoded = value ?? '';
  let bytes: Uint8Array;
  switch (encoding) {
    case '/base16/':
      if (!/^[0-9a-fA-F]*$/.test(encoded)) fail('line 3 is not hexadecimal');
      if (encoded.length !== SWARM_KEY_LENGTH * 2) {
        fail(`line 3 has ${encoded.length} hex digits, expected ${SWARM_KEY_LENGTH * 2}`);
      }
      bytes = new Uint8Array(Buffer.from(encoded, 'hex'));
      break;
    case '/base64/':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) fail('line 3 is not base64');
      bytes = new Uint8Array(Buffer.from(encoded, 'base64'));
      if (bytes.byteLength !== SWARM_KEY_LENGTH) fail(`line 3 decodes to ${bytes.byteLength} bytes, expected ${SWARM_KEY_LENGTH}`);
      break;
    case BINARY:
      return fail('line 2 is "/bin/": such a key is raw bytes, read the file as bytes (readSwarmKey does), not as text');
    default:
      return fail(`line 2 is ${describe(encoding)}, expected "/base16/", "/base64/" or "/bin/"`);
  }
  return { bytes };
}

/** Line 1 and the bytes after line 2 when line 2 is `/bin/` (lines end with LF here, as go-libp2p reads them). */
function splitBinaryKey(input: Uint8Array): { header: string; body: Uint8Array } | undefined {
  const firstEnd = input.indexOf(0x0a);
  const secondEnd = firstEnd < 0 ? -1 : input.indexOf(0x0a, firstEnd + 1);
  if (secondEnd < 0) return undefined;
  if (Buffer.from(input.subarray(firstEnd + 1, secondEnd)).toString('latin1').trim() !== BINARY) return undefined;
  return { header: Buffer.from(input.subarray(0, firstEnd)).toString('utf8').trim(), body: input.subarray(secondEnd + 1) };
}

function describe(line: string | undefined): string {
  if (line === undefined) return 'missing';
  const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
  return `"${shown}"`;
}

export async function readSwarmKey(path: string): Promise<SwarmKey> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const what = errorCode(error) === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(error)})`;
    throw new SwarmKeyError(`the swarm key file ${path} ${what}; ${HOW_TO_FIX}`);
  }
  return parseSwarmKey(bytes, path);
}

/** Writes a new swarm key file (mode 0600, atomically); refuses to replace an existing one. */
export async function writeSwarmKey(path: string, key: SwarmKey): Promise<void> {
  const written = await writeNewFileAtomic(path, Buffer.from(formatSwarmKey(key), 'utf8'), 0o600);
  if (!written) {
    throw new SwarmKeyError(`${path} already exists and was left as it is; remove it first to replace the network's key`);
  }
}

/** The bytes @libp2p/pnet's `preSharedKey({ psk })` expects (the standard base16 file text); tests use it to prove interop. */
export function swarmKeyForPnet(key: SwarmKey): Uint8Array {
  return new TextEncoder().encode(formatSwarmKey(key));
}
