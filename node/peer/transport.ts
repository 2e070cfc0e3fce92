/**
 * The Transport port over libp2p: adverts on the task's gossipsub topic (protocols/adverts)
 * and blobs over the blob protocol (protocols/blob).
 */
import type { PrivateKey } from '@libp2p/interface';
import { createAdvertChannel } from '../../protocols/adverts/index.ts';
import { signWith } from '../../protocols/adverts/statements.ts';
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_MIN_BYTES_PER_SECOND } from '../../protocols/blob/limits.ts';
import { blobPort } from '../../protocols/blob/port.ts';
import type { Host } from '../host/host.ts';
import type { Transport } from '../round/ports.ts';

export interface Libp2pTransportOptions {
  /** The peer's key (the host's): signs this peer's statements in the adverts it publishes. */
  readonly privateKey: PrivateKey;
  readonly maxBlobBytes: number;
  /** How long one holder gets to deliver a blob of unknown size (no `expectedBytes`) before the next is tried. Default 30 s. */
  readonly attemptTimeoutMs?: number;
  /** The stall guard: a holder that sends nothing for this long (no header, or no bytes mid-transfer) is dropped. Default 2 s. */
  readonly firstByteTimeoutMs?: number;
  /**
   * With `expectedBytes`, each holder gets `firstByteTimeoutMs + expectedBytes / minBytesPerSecond`
   * (dial included) before the next is tried. Default 16 KiB/s.
   */
  readonly minBytesPerSecond?: number;
  /** The engine's current round, so that adverts for long-gone rounds are ignored. */
  readonly currentRound?: () => number;
  readonly log?: (line: string) => void;
  /** Counts blob bytes moved, for reports. */
  readonly onBytes?: (direction: 'fetched' | 'served', bytes: number) => void;
}

/** Per holder, for a blob whose size the caller does not know. */
const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

export function libp2pTransport(host: Host, taskId: string, options: Libp2pTransportOptions): Transport {
  const log = options.log ?? (() => {});
  const channel = createAdvertChannel(host, taskId, {
    sign: signWith(options.privateKey),
    log,
    ...(options.currentRound === undefined ? {} : { currentRound: options.currentRound }),
  });
  const blobs = blobPort(host, {
    serve: { maxBytes: options.maxBlobBytes, onError: (peer, error) => log(`serving a blob to ${peer} failed: ${error.message}`) },
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
    minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
    onFetchFailure: (peer, error) => log(`pulling ${error.message} (from ${peer})`),
  });
  return {
    self: channel.self,
    async publish(advert) {
      await channel.publish(advert);
    },
    onAdvert: (handler) => channel.onAdvert(handler),
    async fetch(hash, holders, fetchOptions) {
      const bytes = await blobs.fetch(hash, holders, fetchOptions);
      options.onBytes?.('fetched', bytes.byteLength);
      return bytes;
    },
    serve(lookup) {
      return blobs.serve(async (hash) => {
        const bytes = await lookup(hash);
        if (bytes !== undefined) options.onBytes?.('served', bytes.byteLength);
        return bytes;
      });
    },
    async stop() {
      channel.stop();
      await blobs.stop();
    },
  };
}
