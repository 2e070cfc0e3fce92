/**
 * The requesting side of `/gossipfl/blob/1.0.0` (wire format in ./wire.ts).
 *
 * `fetchBlob` pulls one blob from one peer. Chunk bytes are copied from the received buffers
 * into a ReceiveBuffer that grows with what actually arrived (never to the announced size up
 * front), and hashed as they arrive. The result is returned only when its sha256 equals the
 * requested hash and the server closed the stream cleanly. Two guards bound what one holder
 * can cost (PROTOCOL §6.6): the stall guard drops a holder that sends nothing for
 * `firstByteTimeoutMs`, and the per-holder deadline — `firstByteTimeoutMs + expectedBytes /
 * minBytesPerSecond` when the caller knows the size, else `attemptTimeoutMs` if given — ends
 * the attempt, dial included.
 *
 * Trying several holders in turn is `fetchFromHolders` (./holders.ts).
 */
import { createHash, type Hash as Sha256 } from 'node:crypto';
import type { Libp2p, PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Hash } from '../messages.ts';
import {
  BlobAbortedError,
  BlobBusyError,
  BlobDeadlineError,
  BlobError,
  BlobFetchError,
  BlobHashMismatchError,
  BlobNotFoundError,
  BlobProtocolError,
  BlobSizeMismatchError,
  BlobStalledError,
  BlobTooLargeError,
} from './errors.ts';
import {
  DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  DEFAULT_MIN_BYTES_PER_SECOND,
  MAX_TIMER_MS,
  notByteCount,
  notPositive,
  perHolderDeadlineMs,
} from './limits.ts';
import { ReceiveBuffer } from './receive-buffer.ts';
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
  /**
   * The blob's size when the caller knows it (an advert's `bytes`). A holder announcing another
   * size fails at once (BlobSizeMismatchError); the attempt gets `firstByteTimeoutMs +
   * expectedBytes / minBytesPerSecond` (BlobDeadlineError). Above `maxBytes`: BlobTooLargeError, no dial.
   */
  readonly expectedBytes?: number;
  /** The stall guard: milliseconds without a byte from the holder (from the request on) before it is dropped. Default 2 000. */
  readonly firstByteTimeoutMs?: number;
  /** The slowest delivery accepted when `expectedBytes` is given, in bytes per second. Default 16 384 (16 KiB/s). */
  readonly minBytesPerSecond?: number;
  /** The attempt's deadline, dial included, when `expectedBytes` is not given. Default: none (the stall guard and `signal` only). */
  readonly attemptTimeoutMs?: number;
}

/** The limits one attempt runs under, resolved from FetchBlobOptions. */
interface AttemptLimits {
  readonly maxBytes: number;
  readonly expectedBytes: number | undefined;
  readonly stallMs: number;
  /** Milliseconds from the start of the attempt; undefined: none. */
  readonly deadlineMs: number | undefined;
  readonly deadlineBasis: string;
  readonly startedAt: number;
}

/** Fetches blob `hash` from `peer`; the result's sha256 is `hash`. Rejects with a BlobError subclass. */
export async function fetchBlob(
  host: BlobClientHost,
  peer: PeerId | string,
  hash: Hash,
  options: FetchBlobOptions,
): Promise<Uint8Array> {
  const startedAt = performance.now();
  const peerName = peer.toString();
  const limits = attemptLimits(hash, options, startedAt);
  const signal = options.signal;
  if (signal?.aborted === true) throw aborted(peerName, hash, signal);
  let peerId: PeerId;
  try {
    peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer;
  } catch (error) {
    throw new BlobFetchError(`"${peerName}" is not a peer ID`, { peer: peerName, hash, cause: error });
  }
  // The deadline covers the dial too: a holder cannot hold the attempt by being slow to accept.
  const dialDeadline = new AbortController();
  const deadlineTimer = startTimer(limits.deadlineMs, () => dialDeadline.abort());
  let stream: Stream;
  try {
    const dialSignal = signal === undefined ? dialDeadline.signal : AbortSignal.any([signal, dialDeadline.signal]);
    stream = await host.dialProtocol(peerId, BLOB_PROTOCOL, { signal: dialSignal });
  } catch (error) {
    if (isAborted(signal)) throw aborted(peerName, hash, signal);
    if (dialDeadline.signal.aborted) throw deadlineError(peerName, hash, limits, 0, ' (still opening the stream)');
    throw new BlobFetchError(`cannot open a blob stream to ${peerName}: ${messageOf(error)}`, { peer: peerName, hash, cause: error });
  } finally {
    clearTimeout(deadlineTimer);
  }
  return exchange(stream, peerName, hash, limits, signal);
}

function attemptLimits(hash: Hash, options: FetchBlobOptions, startedAt: number): AttemptLimits {
  if (!isHash(hash)) throw new BlobError(`"${hash}" is not a blob hash: expected 64 lowercase hex characters (sha256)`, { hash });
  const { maxBytes, expectedBytes } = options;
  const stallMs = options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
  const minBytesPerSecond = options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  const problem =
    notByteCount(maxBytes, 'maxBytes') ??
    notByteCount(expectedBytes, 'expectedBytes') ??
    notPositive(stallMs, 'firstByteTimeoutMs') ??
    notPositive(minBytesPerSecond, 'minBytesPerSecond') ??
    notPositive(options.attemptTimeoutMs, 'attemptTimeoutMs');
  if (problem !== undefined) throw new BlobError(problem, { hash });
  if (expectedBytes !== undefined && expectedBytes > maxBytes) {
    throw new BlobTooLargeError(`blob ${hash} is expected to be ${expectedBytes} bytes, above the limit of ${maxBytes}: not fetched`, {
      hash,
      size: expectedBytes,
      maxBytes,
    });
  }
  if (expectedBytes === undefined) {
    const deadlineMs = options.attemptTimeoutMs;
    return { maxBytes, expectedBytes, stallMs, deadlineMs, deadlineBasis: `attemptTimeoutMs ${deadlineMs} ms`, startedAt };
  }
  const deadlineMs = perHolderDeadlineMs(expectedBytes, stallMs, minBytesPerSecond);
  const deadlineBasis = `${stallMs} ms + ${expectedBytes} bytes at ${minBytesPerSecond} bytes/s`;
  return { maxBytes, expectedBytes, stallMs, deadlineMs, deadlineBasis, startedAt };
}

/** setTimeout for `ms` (none when undefined or beyond what a timer can hold); clearTimeout accepts the undefined. */
function startTimer(ms: number | undefined, callback: () => void): ReturnType<typeof setTimeout> | undefined {
  if (ms === undefined || ms > MAX_TIMER_MS) return undefined;
  return setTimeout(callback, Math.max(0, ms));
}

function deadlineError(peer: string, hash: Hash, limits: AttemptLimits, received: number, detail = ''): BlobDeadlineError {
  const deadlineMs = limits.deadlineMs ?? 0;
  return new BlobDeadlineError(
    `${peer} did not deliver blob ${hash} within its deadline of ${Math.round(deadlineMs)} ms (${limits.deadlineBasis}); ${received} bytes received${detail}`,
    { peer, hash, deadlineMs, received },
  );
}

type Phase = 'header' | 'chunks' | 'done';

/**
 * Sends the request on an open stream and reads the answer under `limits`; aborts the stream on
 * every failure. Every listener and timer is removed when the promise settles.
 */
function exchange(stream: Stream, peer: string, hash: Hash, limits: AttemptLimits, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const { maxBytes, expectedBytes, stallMs } = limits;
  return new Promise<Uint8Array>((resolve, reject) => {
    let phase: Phase = 'header';
    const headerBody = new Uint8Array(RESPONSE_HEADER_BYTES);
    let headerFilled = 0;
    let blob = new ReceiveBuffer(0);
    let sha: Sha256 | undefined;
    let settled = false;
    let lastByteAt = performance.now();
    let stallTimer: ReturnType<typeof setTimeout> | undefined;
    let deadlineTimer: ReturnType<typeof setTimeout> | undefined;

    const cleanup = (): void => {
      clearTimeout(stallTimer);
      clearTimeout(deadlineTimer);
      for (const immediate of pendingChecks) clearImmediate(immediate);
      pendingChecks.clear();
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

    /**
     * Timers fire before pending socket reads are handled: after this event loop was blocked
     * (training, decoding), bytes may be waiting. Guards decide one turn later, after I/O.
     */
    const pendingChecks = new Set<ReturnType<typeof setImmediate>>();
    const afterIo = (check: () => void): void => {
      const immediate = setImmediate(() => {
        pendingChecks.delete(immediate);
        if (!settled) check();
      });
      pendingChecks.add(immediate);
    };
    /** The stall guard: wakes `stallMs` after the last byte (re-armed lazily, not on every message). */
    const checkStall = (): void => {
      const idleMs = performance.now() - lastByteAt;
      if (idleMs < stallMs) {
        stallTimer = setTimeout(() => afterIo(checkStall), Math.min(stallMs - idleMs, MAX_TIMER_MS));
        return;
      }
      const what = phase === 'header' ? 'no response header' : `nothing after ${blob.length} of ${blob.size} bytes`;
      fail(
        new BlobStalledError(`${peer} stalled serving blob ${hash}: ${what} for ${Math.round(idleMs)} ms (firstByteTimeoutMs ${stallMs})`, {
          peer,
          hash,
          idleMs,
          received: blob.length,
        }),
      );
    };

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
          if (expectedBytes !== undefined && header.size !== expectedBytes) {
            throw new BlobSizeMismatchError(`${peer} announced blob ${hash} as ${header.size} bytes, but it is expected to be ${expectedBytes}`, {
              peer,
              hash,
              expected: expectedBytes,
              announced: header.size,
            });
          }
          // Nothing is allocated here: memory follows the bytes that arrive.
          blob = new ReceiveBuffer(header.size);
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
          throw protocolError(`a frame of ${length} bytes after all ${blob.size} announced bytes`);
        } else if (length === 0 || length > MAX_CHUNK_BYTES) {
          throw protocolError(`chunk frame of ${length} bytes (allowed: 1 to ${MAX_CHUNK_BYTES})`);
        } else if (blob.length + length > blob.size) {
          throw protocolError(`announced ${blob.size} bytes but sends more (${blob.length + length} so far)`);
        }
      },
      data(bytes) {
        if (phase === 'header') {
          headerBody.set(bytes, headerFilled);
          headerFilled += bytes.byteLength;
          return;
        }
        blob.append(bytes);
        sha?.update(bytes);
      },
      end() {
        if (phase === 'header') onHeader(decodeResponseHeader(headerBody));
        else if (blob.complete) phase = 'done';
      },
    });

    const onMessage = (event: StreamMessageEvent): void => {
      if (settled) return;
      lastByteAt = performance.now();
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
        const got = phase === 'header' ? 'before a whole response header' : `after ${blob.length} of ${blob.size} bytes`;
        fail(protocolError(`the stream ended ${got}${decoder.atBoundary ? '' : ', mid-frame'}`));
        return;
      }
      const actual = (sha ?? createHash('sha256')).digest('hex');
      if (actual !== hash) {
        fail(new BlobHashMismatchError(`${peer} served wrong content for blob ${hash} (its sha256 is ${actual})`, { peer, hash, actual }));
        return;
      }
      settled = true;
      cleanup();
      resolve(blob.result());
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
    const remainingMs = limits.deadlineMs === undefined ? undefined : limits.deadlineMs - (performance.now() - limits.startedAt);
    deadlineTimer = startTimer(remainingMs, () => afterIo(() => fail(deadlineError(peer, hash, limits, blob.length))));
    stallTimer = setTimeout(() => afterIo(checkStall), Math.min(stallMs, MAX_TIMER_MS));
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
