/**
 * `fetchFromHolders` tries holders one after another, in the order given (callers wanting load
 * spreading shuffle the list first, e.g. with the round's seeded Rng), each once — except that
 * holders which answered busy may be asked again after a pause (`busyRetryMs`). Each attempt
 * runs under fetchBlob's guards (stall guard, per-holder deadline), so a holder that stalls,
 * trickles or lies about the size costs at most its own deadline before the next one is asked.
 */
import type { PeerId } from '@libp2p/interface';
import type { Hash } from '../messages.ts';
import { fetchBlob, type BlobClientHost, type FetchBlobOptions } from './client.ts';
import { BlobBusyError, BlobError, BlobFetchError, BlobTooLargeError, BlobUnavailableError, type BlobAttempt } from './errors.ts';

export interface FetchFromHoldersOptions extends FetchBlobOptions {
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

/**
 * Fetches blob `hash` from the first of `holders` that serves it with matching content, trying
 * them in the given order (duplicates and this host itself skipped; busy ones again later with
 * `busyRetryMs`). Every failure is passed to `onFailure`; if none succeeds, rejects with a
 * BlobUnavailableError listing every attempt. An `expectedBytes` above `maxBytes` rejects with
 * BlobTooLargeError before any holder is asked.
 */
export async function fetchFromHolders(
  host: BlobClientHost,
  holders: Iterable<PeerId | string>,
  hash: Hash,
  options: FetchFromHoldersOptions,
): Promise<Uint8Array> {
  const { expectedBytes, maxBytes } = options;
  if (expectedBytes !== undefined && Number.isSafeInteger(maxBytes) && expectedBytes > maxBytes) {
    // Whoever advertised this size asks for more than we accept: no holder can change that.
    throw new BlobTooLargeError(`blob ${hash} is expected to be ${expectedBytes} bytes, above the limit of ${maxBytes}: not fetched`, {
      hash,
      size: expectedBytes,
      maxBytes,
    });
  }
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
  const attemptOptions: FetchBlobOptions = {
    maxBytes,
    ...(signal === undefined ? {} : { signal }),
    ...(expectedBytes === undefined ? {} : { expectedBytes }),
    ...(options.firstByteTimeoutMs === undefined ? {} : { firstByteTimeoutMs: options.firstByteTimeoutMs }),
    ...(options.minBytesPerSecond === undefined ? {} : { minBytesPerSecond: options.minBytesPerSecond }),
    ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
  };
  let busyWait = options.busyRetryMs;
  while (untried.length > 0) {
    const busy: (PeerId | string)[] = [];
    for (const holder of untried) {
      const peer = holder.toString();
      if (signal?.aborted === true) break;
      try {
        return await fetchBlob(host, holder, hash, attemptOptions);
      } catch (caught) {
        const error = caught instanceof BlobError ? caught : new BlobFetchError(messageOf(caught), { peer, hash, cause: caught });
        if (error.peer === undefined) throw error; // bad options, not a failing holder: the next would fail alike
        attempts.push({ peer, error });
        options.onFailure?.(peer, error);
        if (error instanceof BlobBusyError) busy.push(holder);
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
