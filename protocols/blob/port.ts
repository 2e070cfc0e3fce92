/**
 * The blob half of the round engine's Transport port (`fetch` and `serve`), over libp2p. The
 * advert half (publish, onAdvert) lives with the advert protocol; a peer's Transport combines both.
 */
import type { Transport } from '../../node/round/ports.ts';
import type { Hash, PeerIdString } from '../messages.ts';
import type { BlobClientHost } from './client.ts';
import { fetchFromHolders } from './holders.ts';
import type { BlobError } from './errors.ts';
import { serveBlobs, type BlobLookup, type BlobServer, type BlobServerHost, type ServeBlobsOptions } from './server.ts';

export interface BlobPortOptions {
  /** How blobs are served once `serve` is called. */
  readonly serve: ServeBlobsOptions;
  /** Milliseconds each holder gets before the next is tried, when the caller gives no `expectedBytes`. Default: only the caller's signal and the stall guard limit it. */
  readonly attemptTimeoutMs?: number;
  /** The stall guard: a holder silent this long (no header, or no bytes mid-transfer) is dropped. Default 2 000 ms. */
  readonly firstByteTimeoutMs?: number;
  /** With `expectedBytes`, each holder gets `firstByteTimeoutMs + expectedBytes / minBytesPerSecond`. Default 16 KiB/s. */
  readonly minBytesPerSecond?: number;
  /** Each holder that failed a fetch, and why (for the log). */
  readonly onFetchFailure?: (peer: string, error: BlobError) => void;
  /** A holder that answered busy is asked again after about this many ms, then a little longer… (see fetchFromHolders). Default 100. */
  readonly busyRetryMs?: number;
}

/** Assignable to the Transport's `fetch` and `serve` (checked below). */
export interface BlobPort {
  /** Fetches from the first of `holders` that serves matching content (see fetchFromHolders). */
  fetch(hash: Hash, holders: readonly PeerIdString[], options: { maxBytes: number; signal: AbortSignal; expectedBytes?: number }): Promise<Uint8Array>;
  /** Starts serving from `lookup`; resolves once registered. May be called once. */
  serve(lookup: BlobLookup): Promise<void>;
  /** Stops serving (if `serve` was called); idempotent. */
  stop(): Promise<void>;
}

/** Compile-time check that a BlobPort fills the Transport's blob methods (never called). */
const asTransportBlobMethods = (port: BlobPort): Pick<Transport, 'fetch' | 'serve'> => port;
void asTransportBlobMethods;

const DEFAULT_BUSY_RETRY_MS = 100;

export class BlobPortError extends Error {
  override name = 'BlobPortError';
}

/** `fetch` tries holders in the order given (see fetchFromHolders); `serve` may be called once. */
export function blobPort(host: BlobClientHost & BlobServerHost, options: BlobPortOptions): BlobPort {
  let server: Promise<BlobServer> | undefined;
  return {
    fetch(hash, holders, { maxBytes, signal, expectedBytes }) {
      return fetchFromHolders(host, holders, hash, {
        maxBytes,
        signal,
        busyRetryMs: options.busyRetryMs ?? DEFAULT_BUSY_RETRY_MS,
        ...(expectedBytes === undefined ? {} : { expectedBytes }),
        ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
        ...(options.firstByteTimeoutMs === undefined ? {} : { firstByteTimeoutMs: options.firstByteTimeoutMs }),
        ...(options.minBytesPerSecond === undefined ? {} : { minBytesPerSecond: options.minBytesPerSecond }),
        ...(options.onFetchFailure === undefined ? {} : { onFailure: options.onFetchFailure }),
      });
    },
    async serve(lookup) {
      if (server !== undefined) throw new BlobPortError('serve() was already called on this blob port');
      server = serveBlobs(host, lookup, options.serve);
      await server;
    },
    async stop() {
      if (server === undefined) return;
      const running = server;
      server = undefined;
      await (await running.catch(() => undefined))?.stop();
    },
  };
}
