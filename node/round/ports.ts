/**
 * The two ports the round engine's runtime talks through. A real peer implements them with
 * libp2p (gossipsub adverts, the blob protocol) and the system clock; the simulator with a
 * virtual network and a virtual clock. The engine itself never sees either.
 */
import type { Advert, Hash, PeerIdString, ReceivedAdvert } from '../../protocols/messages.ts';

export interface Transport {
  /** This peer's id. */
  readonly self: PeerIdString;
  /** Publishes an advert on the task's topic. Never carries weights. */
  publish(advert: Advert): Promise<void>;
  /** Registers the handler for adverts that passed validation; returns an unsubscribe function. */
  onAdvert(handler: (received: ReceivedAdvert) => void): () => void;
  /**
   * Pulls blob `hash` from the first of `holders` that serves it with matching content;
   * rejects when none does before `signal` aborts. The result's sha256 equals `hash`.
   * `expectedBytes`: the blob's size when the caller knows it (an advert's `bytes`). A holder
   * announcing another size is then given up at once, and each holder gets a deadline scaled to
   * the size (PROTOCOL §6.6); above `maxBytes` the fetch is refused without asking anyone.
   */
  fetch(hash: Hash, holders: readonly PeerIdString[], options: { maxBytes: number; signal: AbortSignal; expectedBytes?: number }): Promise<Uint8Array>;
  /** Serves blobs to other peers: `lookup` returns the bytes of a hash this peer holds. */
  serve(lookup: (hash: Hash) => Promise<Uint8Array | undefined>): Promise<void>;
  /** Stops publishing, receiving and serving; idempotent. */
  stop(): Promise<void>;
}

export interface Clock {
  /** Milliseconds; Unix time for a real peer, virtual time in the simulator. */
  now(): number;
  /** Calls `callback` after `ms`; returns a function that cancels it. */
  setTimer(ms: number, callback: () => void): () => void;
}

/** The system clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
