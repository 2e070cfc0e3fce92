/**
 * The requesting side of `/gossipfl/blob/1.0.0` (wire format in ./wire.ts).
 *
 * `fetchBlob` pulls one blob from one peer: chunk bytes are copied once, from the received
 * buffers straight into one array of the announced size (allocated only after the size is
 * checked against `maxBytes`), and hashed as they arrive. The result is returned only when
 * its sha256 equals the requested hash and the server closed the stream cleanly.
 *
 * `fetchFromHolders` tries holders one after another, in the order given (callers wanting
 * load spreading shuffle the list first, e.g. with the round's seeded Rng), each once — except
 * that holders which answered busy may be asked again after a pause (`busyRetryMs`).
 */
import { createHash, type Hash as Sha256 } from 'node:crypto';
import type { Libp2p, PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Hash } from '../messages.ts';
import {
  BlobAbortedError,
  BlobBusyError,
  BlobError,
  BlobFetchError,
  BlobHashMismatchError,
  BlobNotFoundError,
  BlobProtocolError,
  BlobTooLargeError,
  BlobUnavailableError,
  type BlobAttempt,
} from './errors.ts';
import {
  BLOB_PROTOCOL,
  decodeResponseHeader,
  encodeRequest,
  FrameDecoder,
  isHash,
  MAX_CHUNK_BYTES,
  RESPONSE_HEADER_BYTES,
  WireFormatError,
  type ResponseHeader,
} from './wire.ts';

export type BlobClientHost = Pick<Libp2p, 'dialProtocol' | 'peerId'>;

export interface FetchBlobOptions {
  /** Largest blob accepted, in bytes; sent to the server and enforced on what it sends. */
  readonly maxBytes: number;
  /** Aborts the dial and the stream (e.g. `AbortSignal.timeout(ms)`). */
  readonly signal?: AbortSignal;
}

export interface FetchFromHoldersOptions extends FetchBlobOptions {
  /** Milliseconds one holder gets before the next is tried. Default: no limit but `signal`. */
  readonly attemptTimeoutMs?: number;
  /** Called with each holder that failed, and why, as it happens. */
  readonly onFailure?: (peer: string, error: BlobError) => void;
  /**
   * Holders that answered busy are asked again after about this many milliseconds (×1.5 each
   * time, at most 1 s, with jitter) until one serves or `signal` aborts. Default: not asked again.
   * Needs a `signal`.
   */
  readonly busyRetryMs?: number;
}

/** A busy holder frees a slot when one of its transfers ends: ask again at about that pace, not exponentially later. */
const BUSY_RETRY_GROWTH = 1.5;
const MAX_BUSY_RETRY_MS = 1_000;

/** Fetches blob `hash` from `peer`; the result's sha256 is `hash`. Rejects with a BlobError subclass. */
export async function fetchBlob(
  host: BlobClientHost,
  peer: PeerId | string,
  hash: Hash,
  options: FetchBlobOptions,
): Promise<Uint8Array> {
  const peerName = peer.toString();
  if (!isHash(hash)) throw new BlobError(`"${hash}" is not a blob hash: expected 64 lowercase hex characters (sha256)`, { hash });
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
    throw new BlobError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`, { hash });
  }
  const signal = options.signal;
  if (signal?.aborted === true) throw aborted(peerName, hash, signal);
  let peerId: PeerId;
  try {
    peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer;
  } catch (error) {
    throw new BlobFetchError(`"${peerName}" is not a peer ID`, { peer: peerName, hash, cause: error });
  }
  let stream: Stream;
  try {
    stream = await host.dialProtocol(peerId, BLOB_PROTOCOL, signal === undefined ? {} : { signal });
  } catch (error) {
    if (isAborted(signal)) throw aborted(peerName, hash, signal);
    throw new BlobFetchError(`cannot open a blob stream to ${peerName}: ${messageOf(error)}`, { peer: peerName, hash, cause: error });
  }
  return exchange(stream, peerName, hash, options.maxBytes, signal);
}

/**
 * Fetches blob `hash` from the first of `holders` that serves it with matching content, trying
 * them in the given order (duplicates and this host itself skipped; busy ones again later with
 * `busyRetryMs`). Every failure is passed to `onFailure`; if none succeeds, rejects with a
 * BlobUnavailableError listing every attempt.
 */
export async function fetchFromHolders(
  host: BlobClientHost,
  holders: Iterable<PeerId | string>,
  hash: Hash,
  options: FetchFromHoldersOptions,
): Promise<Uint8Array> {
  const attempts: BlobAttempt[] = [];
  const seen = new Set<string>([host.peerId.toString()]);
  const signal = options.signal;
  let untried: (PeerId | string)[] = [];
  for (const holder of holders) {
    const peer = holder.toString();
    if (seen.has(peer)) continue;
    seen.add(peer);
    untried.push(holder);
  }
  let busyWait = options.busyRetryMs;
  while (untried.length > 0) {
    const busy: (PeerId | string)[] = [];
    for (const holder of untried) {
      const peer = holder.toString();
      if (signal?.aborted === true) break;
      const attempt = attemptSignal(signal, options.attemptTimeoutMs, peer);
      try {
        return await fetchBlob(host, holder, hash, { maxBytes: options.maxBytes, signal: attempt.signal });
      } catch (caught) {
        const error = caught instanceof BlobError ? caught : new BlobFetchError(messageOf(caught), { peer, hash, cause: caught });
        attempts.push({ peer, error });
        options.onFailure?.(peer, error);
        if (error instanceof BlobBusyError) busy.push(holder);
      } finally {
        attempt.dispose();
      }
    }
    if (busy.length === 0 || busyWait === undefined || signal === undefined || signal.aborted) break;
    // Many peers pull a new version from its one holder at once: those turned away wait their turn.
    await pause(busyWait * (0.5 + Math.random()), signal);
    busyWait = Math.min(busyWait * BUSY_RETRY_GROWTH, MAX_BUSY_RETRY_MS);
    untried = busy;
  }
  const wasAborted = signal?.aborted === true;
  const list = attempts.map(({ peer, error }) => `${peer}: ${error.name}: ${error.message}`).join('; ');
  const message =
    attempts.length === 0
      ? `no holder to fetch blob ${hash} from${wasAborted ? ' (aborted before the first attempt)' : ''}`
      : `no holder served blob ${hash}${wasAborted ? ' before the deadline' : ''} (${attempts.length} tried: ${list})`;
  throw new BlobUnavailableError(message, { hash, attempts, aborted: wasAborted });
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function attemptSignal(outer: AbortSignal | undefined, timeoutMs: number | undefined, peer: string): { signal: AbortSignal | undefined; dispose: () => void } {
  if (timeoutMs === undefined) return { signal: outer, dispose: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${peer} within ${timeoutMs} ms`)), timeoutMs);
  return {
    signal: outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]),
    dispose: () => clearTimeout(timer),
  };
}

type Phase = 'header' | 'chunks' | 'done';

/** Sends the request on an open stream and reads the answer; aborts the stream on every failure. */
function exchange(stream: Stream, peer: string, hash: Hash, maxBytes: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    let phase: Phase = 'header';
    const headerBody = new Uint8Array(RESPONSE_HEADER_BYTES);
    let headerFilled = 0;
    let blob = new Uint8Array(0);
    let received = 0;
    let sha: Sha256 | undefined;
    let settled = false;

    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEnd);
      stream.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: BlobError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      stream.abort(error);
      reject(error);
    };
    const protocolError = (detail: string): BlobProtocolError =>
      new BlobProtocolError(`${peer} broke the blob protocol serving ${hash}: ${detail}`, { peer, hash });

    const onHeader = (header: ResponseHeader): void => {
      switch (header.status) {
        case 'ok':
          if (header.size > maxBytes) {
            throw new BlobTooLargeError(`${peer} announced blob ${hash} as ${header.size} bytes, above the limit of ${maxBytes}`, {
              peer,
              hash,
              size: header.size,
              maxBytes,
            });
          }
          blob = new Uint8Array(header.size);
          sha = createHash('sha256');
          phase = header.size === 0 ? 'done' : 'chunks';
          return;
        case 'not-found':
          throw new BlobNotFoundError(`${peer} does not hold blob ${hash}`, { peer, hash });
        case 'too-large':
          throw new BlobTooLargeError(`blob ${hash} on ${peer} is ${header.size} bytes, above the limit of ${maxBytes} (or the holder's own)`, {
            peer,
            hash,
            size: header.size,
            maxBytes,
          });
        case 'busy':
          throw new BlobBusyError(`${peer} is busy serving other blobs; try another holder or later`, { peer, hash });
        case 'bad-request':
          throw protocolError('it answered bad-request to a well-formed request (incompatible version?)');
        default: {
          const unknown: never = header.status;
          throw protocolError(`unknown status ${String(unknown)}`);
        }
      }
    };

    const decoder = new FrameDecoder({
      start(length) {
        if (phase === 'header') {
          if (length !== RESPONSE_HEADER_BYTES) throw protocolError(`response header frame of ${length} bytes, expected ${RESPONSE_HEADER_BYTES}`);
        } else if (phase === 'done') {
          throw protocolError(`a frame of ${length} bytes after all ${blob.byteLength} announced bytes`);
        } else if (length === 0 || length > MAX_CHUNK_BYTES) {
          throw protocolError(`chunk frame of ${length} bytes (allowed: 1 to ${MAX_CHUNK_BYTES})`);
        } else if (received + length > blob.byteLength) {
          throw protocolError(`announced ${blob.byteLength} bytes but sends more (${received + length} so far)`);
        }
      },
      data(bytes) {
        if (phase === 'header') {
          headerBody.set(bytes, headerFilled);
          headerFilled += bytes.byteLength;
          return;
        }
        blob.set(bytes, received);
        sha?.update(bytes);
        received += bytes.byteLength;
      },
      end() {
        if (phase === 'header') onHeader(decodeResponseHeader(headerBody));
        else if (received === blob.byteLength) phase = 'done';
      },
    });

    const onMessage = (event: StreamMessageEvent): void => {
      if (settled) return;
      try {
        if (event.data instanceof Uint8Array) decoder.feed(event.data);
        else for (const piece of event.data) decoder.feed(piece);
      } catch (error) {
        if (error instanceof BlobError) fail(error);
        else if (error instanceof WireFormatError) fail(protocolError(error.message));
        else fail(new BlobFetchError(`reading blob ${hash} from ${peer} failed: ${messageOf(error)}`, { peer, hash, cause: error }));
      }
    };
    /** The server closed its end: the blob must be complete and correct. */
    const finish = (): void => {
      if (settled) return;
      if (phase !== 'done' || !decoder.atBoundary) {
        const got = phase === 'header' ? 'before a whole response header' : `after ${received} of ${blob.byteLength} bytes`;
        fail(protocolError(`the stream ended ${got}`));
        return;
      }
      const actual = (sha ?? createHash('sha256')).digest('hex');
      if (actual !== hash) {
        fail(new BlobHashMismatchError(`${peer} served wrong content for blob ${hash} (its sha256 is ${actual})`, { peer, hash, actual }));
        return;
      }
      settled = true;
      cleanup();
      resolve(blob);
    };
    const onEnd = (): void => {
      // A reset or local abort also ends reading; its 'close' event (next) carries the reason.
      if (stream.status === 'reset' || stream.status === 'aborted') return;
      finish();
    };
    const onClose = (event: StreamCloseEvent): void => {
      if (event.error === undefined) return finish();
      fail(new BlobFetchError(`the blob stream from ${peer} failed: ${messageOf(event.error)}`, { peer, hash, cause: event.error }));
    };
    const onAbort = (): void => {
      if (signal !== undefined) fail(aborted(peer, hash, signal));
    };

    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEnd);
    stream.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) return onAbort();
    try {
      stream.send(encodeRequest({ hash, maxBytes }));
    } catch (error) {
      fail(new BlobFetchError(`cannot send the blob request to ${peer}: ${messageOf(error)}`, { peer, hash, cause: error }));
      return;
    }
    stream.close(signal === undefined ? {} : { signal }).catch((error: unknown) => {
      fail(new BlobFetchError(`cannot close the request side of the stream to ${peer}: ${messageOf(error)}`, { peer, hash, cause: error }));
    });
    if (stream.readableEnded) queueMicrotask(onEnd);
  });
}

function aborted(peer: string, hash: Hash, signal: AbortSignal): BlobAbortedError {
  return new BlobAbortedError(`fetching blob ${hash} from ${peer} was aborted: ${messageOf(signal.reason)}`, {
    peer,
    hash,
    cause: signal.reason,
  });
}

/** Read through a call so TypeScript does not narrow `aborted` across awaits. */
function isAborted(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal?.aborted === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
