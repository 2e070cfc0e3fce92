/**
 * The blob half of the round engine's Transport port (`fetch` and `serve`), over libp2p. The
 * advert half (publish, onAdvert) lives with the advert protocol; a peer's Transport combines both.
 */
import type { Transport } from '../../node/round/ports.ts';
import { fetchFromHolders, type BlobClientHost } from './client.ts';
import type { BlobError } from './errors.ts';
import { serveBlobs, type BlobServer, type BlobServerHost, type ServeBlobsOptions } from './server.ts';

export interface BlobPortOptions {
  /** How blobs are served once `serve` is called. */
  readonly serve: ServeBlobsOptions;
  /** Milliseconds each holder gets before the next is tried. Default: only the caller's signal limits it. */
  readonly attemptTimeoutMs?: number;
  /** Each holder that failed a fetch, and why (for the log). */
  readonly onFetchFailure?: (peer: string, error: BlobError) => void;
}

export interface BlobPort extends Pick<Transport, 'fetch' | 'serve'> {
  /** Resolves once `serve`'s registration finished (rejects if it failed). */
  readonly serving: () => Promise<void>;
  /** Stops serving (if `serve` was called). */
  stop(): Promise<void>;
}

export class BlobPortError extends Error {
  override name = 'BlobPortError';
}

/** `fetch` tries holders in the order given (see fetchFromHolders); `serve` may be called once. */
export function blobPort(host: BlobClientHost & BlobServerHost, options: BlobPortOptions): BlobPort {
  let server: Promise<BlobServer> | undefined;
  return {
    fetch(hash, holders, { maxBytes, signal }) {
      return fetchFromHolders(host, holders, hash, {
        maxBytes,
        signal,
        ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
        ...(options.onFetchFailure === undefined ? {} : { onFailure: options.onFetchFailure }),
      });
    },
    serve(lookup) {
      if (server !== undefined) throw new BlobPortError('serve() was already called on this blob port');
      server = serveBlobs(host, lookup, options.serve);
      server.catch(() => {}); // reported through serving()
    },
    async serving() {
      if (server === undefined) throw new BlobPortError('serve() has not been called');
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
