/**
 * The engine's `Transport` port for one peer on a `SimNetwork`. Every promise it returns
 * settles inside a scheduler event (or synchronously in the caller's event), never on a real
 * timer, so virtual time alone decides what happens when.
 *
 * fetch(hash, holders) tries holders in order. For each holder:
 * - this peer offline: fails at once; holder offline or across a partition: fails after the
 *   network's `connectTimeoutMs` (a dial that gets no answer);
 * - holder does not hold the blob, or it is larger than `maxBytes`: fails after a round trip
 *   (two sampled latencies);
 * - else the blob is transferred (`SimNetwork.transfer`: latency + bytes / shared bandwidth,
 *   may fail midway) and the promise resolves with the blob's bytes.
 * Per holder, as the libp2p client does (PROTOCOL §6.6), in virtual time:
 * - stall guard: an online, reachable holder whose lookup has not answered within
 *   `firstByteTimeoutMs` (a holder that does not serve) is given up;
 * - with `expectedBytes`: a holder holding another size fails after a round trip, and each
 *   holder gets `firstByteTimeoutMs + expectedBytes / minBytesPerSecond` from the start of its
 *   attempt (connect included), after which its transfer is cancelled and the next is tried;
 *   an `expectedBytes` above `maxBytes` is refused without trying anyone.
 * What a holder holds comes from the `holds(peer, hash)` callback when given (size in bytes),
 * else from the lookup the holder registered with `serve` (its bytes). The bytes resolved are
 * `blobOf(hash)` when given, else the served bytes, else zeros of the right size.
 */
import { GossipflError } from '../../node/errors.ts';
import type { Transport } from '../../node/round/ports.ts';
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_MIN_BYTES_PER_SECOND, perHolderDeadlineMs } from '../../protocols/blob/limits.ts';
import type { Advert, Hash, PeerIdString, ReceivedAdvert } from '../../protocols/messages.ts';
import { sealAdvert, signatureProblem, signWith, verifyByPeerId, type SignStatement } from '../../protocols/adverts/statements.ts';
import { simKeyOf } from './identities.ts';
import type { SimNetwork } from './network.ts';
import type { Cancel } from './scheduler.ts';

export class BlobFetchError extends GossipflError {
  override name = 'BlobFetchError';
}

export interface SimTransportOptions {
  readonly network: SimNetwork<Advert>;
  readonly self: PeerIdString;
  /** Bytes an advert takes on the wire: a constant or per advert. Default 512. */
  readonly advertBytes?: number | ((advert: Advert) => number);
  /** Size of blob `hash` held by `peer`, or undefined when it does not hold it. */
  readonly holds?: (peer: PeerIdString, hash: Hash) => number | undefined;
  /**
   * The size blob `hash` takes on the wire when it differs from what adverts say (protocol-only
   * runs declare sizes for small tokens): used for the size check and deadline in its place.
   */
  readonly declaredSize?: (hash: Hash) => number | undefined;
  /** The bytes of blob `hash` (undefined: use the served bytes, else zeros). */
  readonly blobOf?: (hash: Hash) => Uint8Array | undefined;
  /** The stall guard, virtual ms (see above). Default 2 000, as the libp2p transport. */
  readonly firstByteTimeoutMs?: number;
  /** With `expectedBytes`, the slowest delivery allowed, bytes per virtual second. Default 16 KiB/s, as the libp2p transport. */
  readonly minBytesPerSecond?: number;
  /**
   * Statement signatures, as the libp2p transport: this peer signs what it publishes (its id must
   * come from `simPeerId` or `registerSimKey`), and received adverts whose signatures do not hold
   * are dropped (reported to `onRejected`). Default off: tests of the network alone use plain ids.
   */
  readonly signed?: boolean;
  readonly onRejected?: (from: PeerIdString, reason: string) => void;
}

/**
 * Signature verdicts by advert object: every receiver of one publish gets the same object, so
 * 1,000 simulated peers check a version's signatures once (the verdict depends on the bytes alone).
 */
const verdicts = new WeakMap<Advert, string | undefined>();

function signatureVerdict(advert: Advert, from: PeerIdString): string | undefined {
  if (verdicts.has(advert)) return verdicts.get(advert);
  const problem = signatureProblem(advert, from, verifyByPeerId);
  verdicts.set(advert, problem);
  return problem;
}

/** What one holder attempt is held to. */
interface AttemptLimits {
  readonly maxBytes: number;
  readonly expectedBytes: number | undefined;
  readonly stallMs: number;
  readonly deadlineMs: number | undefined;
}

type Lookup = (hash: Hash) => Promise<Uint8Array | undefined>;

/** Served lookups of every peer, per network (a peer's transport registers its own). */
const servers = new WeakMap<object, Map<PeerIdString, Lookup>>();

function serversOf(network: object): Map<PeerIdString, Lookup> {
  let map = servers.get(network);
  if (map === undefined) {
    map = new Map();
    servers.set(network, map);
  }
  return map;
}

export class SimTransport implements Transport {
  readonly self: PeerIdString;
  readonly #network: SimNetwork<Advert>;
  readonly #options: SimTransportOptions;
  readonly #unsubscribes = new Set<() => void>();
  readonly #inFlight = new Set<(error: Error) => void>();
  #lookup: Lookup | undefined;
  #stopped = false;
  readonly #sign: SignStatement | undefined;

  constructor(options: SimTransportOptions) {
    this.self = options.self;
    if (options.signed === true) {
      const key = simKeyOf(options.self);
      if (key === undefined) throw new GossipflError(`${options.self} has no simulated key: signed transports need ids from simPeerId or registerSimKey`);
      this.#sign = signWith(key);
    }
    this.#network = options.network;
    this.#options = options;
    if (!this.#network.hasPeer(this.self)) this.#network.addPeer(this.self);
  }

  /** The lookup this peer registered with `serve`, if any. */
  get lookup(): Lookup | undefined {
    return this.#lookup;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async publish(advert: Advert): Promise<void> {
    if (this.#stopped) return;
    const size = this.#options.advertBytes ?? 512;
    const sealed = this.#sign === undefined ? advert : sealAdvert(advert, this.self, this.#sign);
    this.#network.publish(this.self, sealed, typeof size === 'number' ? size : size(sealed));
  }

  onAdvert(handler: (received: ReceivedAdvert) => void): () => void {
    if (this.#stopped) return () => {};
    const deliver = (from: PeerIdString, advert: Advert) => {
      const problem = this.#options.signed === true ? signatureVerdict(advert, from) : undefined;
      if (problem === undefined) handler({ from, advert });
      else this.#options.onRejected?.(from, problem);
    };
    const unsubscribe = this.#network.subscribe(this.self, deliver);
    this.#unsubscribes.add(unsubscribe);
    return () => {
      unsubscribe();
      this.#unsubscribes.delete(unsubscribe);
    };
  }

  async serve(lookup: Lookup): Promise<void> {
    if (this.#stopped) return;
    this.#lookup = lookup;
    serversOf(this.#network).set(this.self, lookup);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    this.#unsubscribes.clear();
    const served = serversOf(this.#network);
    if (served.get(this.self) === this.#lookup) served.delete(this.self);
    for (const reject of [...this.#inFlight]) reject(new BlobFetchError(`transport of ${this.self} stopped during a fetch`));
  }

  async fetch(
    hash: Hash,
    holders: readonly PeerIdString[],
    options: { maxBytes: number; signal: AbortSignal; expectedBytes?: number },
  ): Promise<Uint8Array> {
    const { signal, maxBytes } = options;
    // Protocol-only runs move declared sizes, not the tokens' own, which adverts give.
    const declared = options.expectedBytes === undefined ? undefined : this.#options.declaredSize?.(hash);
    const expectedBytes = declared ?? options.expectedBytes;
    signal.throwIfAborted();
    if (this.#stopped) throw new BlobFetchError(`transport of ${this.self} is stopped: cannot fetch ${hash}`);
    if (expectedBytes !== undefined && expectedBytes > maxBytes) {
      throw new BlobFetchError(`blob ${hash} is expected to be ${expectedBytes} bytes, more than maxBytes ${maxBytes}: not fetched`);
    }
    const stallMs = this.#options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
    const minBytesPerSecond = this.#options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
    const limits: AttemptLimits = {
      maxBytes,
      expectedBytes,
      stallMs,
      deadlineMs: expectedBytes === undefined ? undefined : perHolderDeadlineMs(expectedBytes, stallMs, minBytesPerSecond),
    };
    const failures: string[] = [];
    for (const holder of holders) {
      signal.throwIfAborted();
      try {
        return await this.#fetchFrom(holder, hash, limits, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (this.#stopped) throw error;
        failures.push(`${holder}: ${(error as Error).message}`);
      }
    }
    throw new BlobFetchError(
      holders.length === 0 ? `no holders to fetch blob ${hash} from` : `no holder served blob ${hash} (${failures.join('; ')})`,
    );
  }

  /** Resolves what `holder` holds of `hash`: its size and, if known, its bytes. */
  async #holding(holder: PeerIdString, hash: Hash): Promise<{ size: number; bytes: Uint8Array | undefined } | undefined> {
    if (this.#options.holds !== undefined) {
      const size = this.#options.holds(holder, hash);
      return size === undefined ? undefined : { size, bytes: undefined };
    }
    const bytes = await serversOf(this.#network).get(holder)?.(hash);
    return bytes === undefined ? undefined : { size: bytes.byteLength, bytes };
  }

  #fetchFrom(holder: PeerIdString, hash: Hash, limits: AttemptLimits, signal: AbortSignal): Promise<Uint8Array> {
    const network = this.#network;
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    let cancel: (() => void) | undefined;
    let cancelStall: Cancel | undefined;
    let cancelDeadline: Cancel | undefined;
    let settled = false;
    const finish = (error: Error | undefined, bytes?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      cancelStall?.();
      cancelDeadline?.();
      signal.removeEventListener('abort', onAbort);
      this.#inFlight.delete(onStop);
      if (error !== undefined) reject(error);
      else resolve(bytes as Uint8Array);
    };
    // Settle first, then cancel: a cancelled transfer reports 'aborted', which is then ignored.
    const giveUp = (error: Error): void => {
      finish(error);
      cancel?.();
    };
    const onAbort = (): void => giveUp(signal.reason instanceof Error ? signal.reason : new BlobFetchError('fetch aborted'));
    const onStop = (error: Error): void => giveUp(error);
    signal.addEventListener('abort', onAbort, { once: true });
    this.#inFlight.add(onStop);
    const failAfter = (ms: number, message: string): void => {
      cancel = network.scheduler.after(ms, () => finish(new BlobFetchError(message)));
    };
    const { deadlineMs, stallMs, expectedBytes, maxBytes } = limits;
    if (deadlineMs !== undefined) {
      cancelDeadline = network.scheduler.after(deadlineMs, () =>
        giveUp(new BlobFetchError(`missed its deadline of ${deadlineMs} ms for ${expectedBytes} bytes`)),
      );
    }

    if (!network.hasPeer(holder)) {
      failAfter(network.connectTimeoutMs, 'unknown peer');
    } else if (!network.isOnline(this.self)) {
      finish(new BlobFetchError(`${this.self} is offline`));
    } else if (!network.isOnline(holder) || !network.reachable(this.self, holder)) {
      failAfter(network.connectTimeoutMs, network.isOnline(holder) ? 'unreachable (partitioned)' : 'offline');
    } else {
      cancelStall = network.scheduler.after(stallMs, () => giveUp(new BlobFetchError(`stalled: no answer within ${stallMs} ms`)));
      void this.#holding(holder, hash).then(
        (held) => {
          if (settled) return;
          cancelStall?.();
          const rtt = network.latency(this.self, holder) + network.latency(holder, this.self);
          if (held === undefined) return failAfter(rtt, 'does not hold the blob');
          if (held.size > maxBytes) return failAfter(rtt, `blob is ${held.size} bytes, more than maxBytes ${maxBytes}`);
          if (expectedBytes !== undefined && held.size !== expectedBytes) {
            return failAfter(rtt, `announced ${held.size} bytes, expected ${expectedBytes}`);
          }
          cancel = network.transfer(holder, this.self, held.size, (result) => {
            if (!result.ok) return finish(new BlobFetchError(`transfer ${result.reason}`));
            finish(undefined, this.#options.blobOf?.(hash) ?? held.bytes ?? new Uint8Array(held.size));
          });
        },
        (error: unknown) => finish(new BlobFetchError(`lookup failed: ${(error as Error).message}`)),
      );
    }
    return promise;
  }
}
