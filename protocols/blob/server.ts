/**
 * The serving side of `/gossipfl/blob/1.0.0` (wire format in ./wire.ts): answers each request
 * from `lookup`, sends the blob as ≤ 1 MiB chunk frames straight from the stored buffer
 * (views, no copies), waits for the muxer to drain whenever it asks to, and closes or aborts
 * every stream on every path. A malformed request is answered bad-request; it never throws
 * out of the handler.
 */
import type { Connection, Libp2p, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import type { Hash } from '../messages.ts';
import {
  BLOB_PROTOCOL,
  decodeRequest,
  encodeResponseHeader,
  encodeVarint,
  FrameDecoder,
  MAX_CHUNK_BYTES,
  REQUEST_BODY_BYTES,
  WireFormatError,
  type BlobRequest,
  type BlobStatus,
} from './wire.ts';

export type BlobLookup = (hash: Hash) => Promise<Uint8Array | undefined>;

export interface ServeBlobsOptions {
  /** Largest blob this peer serves, in bytes; larger ones are answered too-large. */
  readonly maxBytes: number;
  /** Requests served at once, over all peers; more are answered busy. Default 16. */
  readonly maxConcurrentStreams?: number;
  /** Milliseconds one exchange may take, from stream open to the last byte sent; the stream is then aborted. Default 120 000. */
  readonly timeoutMs?: number;
  /** Called for every exchange that ended with the stream aborted (timeout, reset, lookup error), for logging. */
  readonly onError?: (peer: string, error: Error) => void;
}

export interface BlobServer {
  /** Streams being served now. */
  readonly active: number;
  /** Unregisters the protocol and aborts the exchanges in progress. */
  stop(): Promise<void>;
}

export type BlobServerHost = Pick<Libp2p, 'handle' | 'unhandle'>;

export class BlobServerStoppedError extends Error {
  override name = 'BlobServerStoppedError';
}

export class BlobServeTimeoutError extends Error {
  override name = 'BlobServeTimeoutError';
}

const DEFAULT_MAX_CONCURRENT = 16;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Registers the blob protocol on `host`, serving whatever `lookup` returns. */
export async function serveBlobs(host: BlobServerHost, lookup: BlobLookup, options: ServeBlobsOptions): Promise<BlobServer> {
  const maxConcurrent = options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`);
  if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError(`maxConcurrentStreams must be a positive integer, got ${maxConcurrent}`);
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);

  const active = new Set<Stream>();
  let stopped = false;

  const serveOne = async (stream: Stream, peer: string): Promise<void> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new BlobServeTimeoutError(`blob exchange with ${peer} exceeded ${timeoutMs} ms`)), timeoutMs);
    const signal = controller.signal;
    const busy = active.size >= maxConcurrent;
    if (!busy) active.add(stream);
    /** Set once the whole answer was handed to the muxer: a reset after that is the requester hanging up. */
    let answered = false;
    try {
      if (busy) {
        await sendHeader(stream, 'busy', 0, signal);
      } else {
        const request = await readRequest(stream, signal);
        if (request instanceof WireFormatError) {
          await sendHeader(stream, 'bad-request', 0, signal);
        } else {
          await answer(stream, request, signal);
        }
      }
      answered = true;
      await stream.close({ signal });
      await waitClosed(stream, signal);
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      stream.abort(reason);
      if (!answered || reason instanceof BlobServeTimeoutError) options.onError?.(peer, reason);
    } finally {
      clearTimeout(timer);
      active.delete(stream);
    }
  };

  const answer = async (stream: Stream, request: BlobRequest, signal: AbortSignal): Promise<void> => {
    const blob = await lookup(request.hash);
    signal.throwIfAborted();
    if (blob === undefined) return sendHeader(stream, 'not-found', 0, signal);
    if (blob.byteLength > Math.min(request.maxBytes, options.maxBytes)) return sendHeader(stream, 'too-large', blob.byteLength, signal);
    await sendHeader(stream, 'ok', blob.byteLength, signal);
    for (let offset = 0; offset < blob.byteLength; offset += MAX_CHUNK_BYTES) {
      const chunk = blob.subarray(offset, Math.min(offset + MAX_CHUNK_BYTES, blob.byteLength));
      await send(stream, encodeVarint(chunk.byteLength), signal);
      await send(stream, chunk, signal);
    }
  };

  const handler = (stream: Stream, connection: Connection): Promise<void> => {
    if (stopped) {
      stream.abort(new BlobServerStoppedError('blob server stopped'));
      return Promise.resolve();
    }
    return serveOne(stream, connection.remotePeer.toString());
  };

  // Excess streams on one connection are answered busy rather than reset by libp2p.
  await host.handle(BLOB_PROTOCOL, handler, { maxInboundStreams: Math.max(32, maxConcurrent * 2) });

  return {
    get active() {
      return active.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await host.unhandle(BLOB_PROTOCOL);
      for (const stream of active) stream.abort(new BlobServerStoppedError('blob server stopped'));
      active.clear();
    },
  };
}

async function send(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (!stream.send(data)) await stream.onDrain({ signal });
}

function sendHeader(stream: Stream, status: BlobStatus, size: number, signal: AbortSignal): Promise<void> {
  return send(stream, encodeResponseHeader({ status, size }), signal);
}

/**
 * Reads the request frame. Resolves a WireFormatError for a malformed or truncated request
 * (to be answered bad-request); rejects when the stream fails or `signal` aborts.
 */
function readRequest(stream: Stream, signal: AbortSignal): Promise<BlobRequest | WireFormatError> {
  return new Promise((resolve, reject) => {
    const body = new Uint8Array(REQUEST_BODY_BYTES);
    let length = -1;
    let filled = 0;
    let settled = false;
    const settle = (outcome: BlobRequest | WireFormatError | Error, ok: boolean): void => {
      if (settled) return;
      settled = true;
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEnd);
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (ok) resolve(outcome);
      else reject(outcome);
    };
    const decoder = new FrameDecoder({
      start(frameLength) {
        if (frameLength !== REQUEST_BODY_BYTES) {
          throw new WireFormatError(`request frame is ${frameLength} bytes, expected ${REQUEST_BODY_BYTES}`);
        }
        length = frameLength;
      },
      data(bytes) {
        body.set(bytes, filled);
        filled += bytes.byteLength;
      },
      end() {
        settle(decodeRequest(body), true);
      },
    });
    const onMessage = (event: StreamMessageEvent): void => {
      try {
        // Bytes after the request frame are ignored (the requester must send nothing more).
        for (const piece of event.data instanceof Uint8Array ? [event.data] : event.data) {
          if (settled) return;
          decoder.feed(piece);
        }
      } catch (error) {
        settle(error instanceof WireFormatError ? error : new WireFormatError(String(error)), true);
      }
    };
    const onEnd = (): void => {
      const got = length === -1 ? 'no complete length prefix' : `${filled} of ${length} bytes`;
      settle(new WireFormatError(`the stream ended before a whole request arrived (${got})`), true);
    };
    const onClose = (event: StreamCloseEvent): void => {
      settle(event.error ?? new WireFormatError('the stream closed before a whole request arrived'), event.error === undefined);
    };
    const onAbort = (): void => {
      settle(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)), false);
    };
    if (signal.aborted) return onAbort();
    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEnd);
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    if (stream.readableEnded) queueMicrotask(onEnd);
  });
}

/** Resolves once both ends have closed (a well-behaved requester closed its end long ago). */
function waitClosed(stream: Stream, signal: AbortSignal): Promise<void> {
  if (stream.status !== 'open' && stream.status !== 'closing') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onClose = (): void => {
      done();
      resolve();
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
