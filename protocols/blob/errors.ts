/** Errors of the blob protocol. Each names the peer that failed, and why. */
import { GossipflError } from '../../node/errors.ts';

/** The base of every blob-fetch failure. `peer` is the holder that failed (when one did). */
export class BlobError extends GossipflError {
  override name = 'BlobError';
  readonly peer: string | undefined;
  readonly hash: string;

  constructor(message: string, details: { peer?: string; hash: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.peer = details.peer;
    this.hash = details.hash;
  }
}

/** The holder answered not-found. */
export class BlobNotFoundError extends BlobError {
  override name = 'BlobNotFoundError';
}

/** The blob is larger than the requester's `maxBytes` (or the holder's own limit). Nothing was allocated. */
export class BlobTooLargeError extends BlobError {
  override name = 'BlobTooLargeError';
  readonly size: number;
  readonly maxBytes: number;

  constructor(message: string, details: { peer?: string; hash: string; size: number; maxBytes: number }) {
    super(message, details);
    this.size = details.size;
    this.maxBytes = details.maxBytes;
  }
}

/** The holder served bytes whose sha256 is not the requested hash: a faulty or malicious peer. */
export class BlobHashMismatchError extends BlobError {
  override name = 'BlobHashMismatchError';
  readonly actual: string;

  constructor(message: string, details: { peer: string; hash: string; actual: string }) {
    super(message, details);
    this.actual = details.actual;
  }
}

/** The holder is at its concurrent-stream limit. */
export class BlobBusyError extends BlobError {
  override name = 'BlobBusyError';
}

/** The holder broke the wire format (oversized or surplus chunks, truncated stream, bad header…). */
export class BlobProtocolError extends BlobError {
  override name = 'BlobProtocolError';
}

/** The exchange failed below the protocol: dial failure, stream reset, connection closed. */
export class BlobFetchError extends BlobError {
  override name = 'BlobFetchError';
}

/**
 * The holder announced a size other than the one the caller expected (`expectedBytes`, e.g. an
 * advert's `bytes`). A blob's hash fixes its size, so either the holder or the advert lies; the
 * stream is reset before any chunk is read.
 */
export class BlobSizeMismatchError extends BlobError {
  override name = 'BlobSizeMismatchError';
  readonly expected: number;
  readonly announced: number;

  constructor(message: string, details: { peer: string; hash: string; expected: number; announced: number }) {
    super(message, details);
    this.expected = details.expected;
    this.announced = details.announced;
  }
}

/** The holder sent nothing for `firstByteTimeoutMs`: no response header, or no bytes mid-transfer (the stall guard). */
export class BlobStalledError extends BlobFetchError {
  override name = 'BlobStalledError';
  readonly idleMs: number;
  readonly received: number;

  constructor(message: string, details: { peer: string; hash: string; idleMs: number; received: number }) {
    super(message, details);
    this.idleMs = details.idleMs;
    this.received = details.received;
  }
}

/**
 * The holder did not deliver the whole blob within its per-holder deadline: `firstByteTimeoutMs
 * + expectedBytes / minBytesPerSecond` when the size is known, else `attemptTimeoutMs`.
 */
export class BlobDeadlineError extends BlobFetchError {
  override name = 'BlobDeadlineError';
  readonly deadlineMs: number;
  readonly received: number;

  constructor(message: string, details: { peer: string; hash: string; deadlineMs: number; received: number }) {
    super(message, details);
    this.deadlineMs = details.deadlineMs;
    this.received = details.received;
  }
}

/** The caller's AbortSignal fired (e.g. a timeout); the stream was aborted. */
export class BlobAbortedError extends BlobFetchError {
  override name = 'BlobAbortedError';
}

export interface BlobAttempt {
  readonly peer: string;
  readonly error: BlobError;
}

/** No holder served the blob; `attempts` has every holder tried, in order, with its failure. */
export class BlobUnavailableError extends BlobError {
  override name = 'BlobUnavailableError';
  readonly attempts: readonly BlobAttempt[];
  /** True when the caller's signal stopped the search before every holder was tried. */
  readonly aborted: boolean;

  constructor(message: string, details: { hash: string; attempts: readonly BlobAttempt[]; aborted: boolean }) {
    super(message, details);
    this.attempts = details.attempts;
    this.aborted = details.aborted;
  }
}
