/**
 * Waiting on network state with a deadline, never a sleep: each helper checks the condition,
 * then re-checks it on the events that can change it, until it holds or `signal` aborts.
 * Every listener is removed on every path.
 *
 *     await waitForSubscribers(host.services.pubsub, 'adverts', 2, AbortSignal.timeout(5_000));
 */
import type { GossipSub, Message } from '@libp2p/gossipsub';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { GossipflError } from '../errors.ts';

export class WaitTimeoutError extends GossipflError {
  override name = 'WaitTimeoutError';
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The subset of an EventTarget these helpers use (libp2p's typed emitters satisfy it). */
export interface Listenable {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

export interface WaitOptions {
  /**
   * Also re-check every `pollMs` milliseconds, for state that changes without an event (until
   * the deadline; the interval is cleared on every path).
   */
  readonly pollMs?: number;
}

/**
 * Resolves with `check()`'s first non-undefined result, evaluated now and after each event of
 * `types` on `target`; rejects with WaitTimeoutError (message from `describe()`, read at that
 * moment) when `signal` aborts, or with the error `check` throws.
 */
export function waitUntil<T>(
  target: Listenable,
  types: readonly string[],
  check: (event: Event | undefined) => T | undefined,
  describe: () => string,
  signal: AbortSignal = AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
  options: WaitOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let attached = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    const cleanup = (): void => {
      if (poll !== undefined) clearInterval(poll);
      if (!attached) return;
      attached = false;
      for (const type of types) target.removeEventListener(type, onEvent);
      signal.removeEventListener('abort', onAbort);
    };
    const settle = (event: Event | undefined): boolean => {
      let result: T | undefined;
      try {
        result = check(event);
      } catch (error) {
        cleanup();
        reject(error instanceof Error ? error : new Error(String(error)));
        return true;
      }
      if (result === undefined) return false;
      cleanup();
      resolve(result);
      return true;
    };
    function onEvent(event: Event): void {
      settle(event);
    }
    function onAbort(): void {
      cleanup();
      const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
      const what = timedOut ? 'timed out' : 'stopped';
      reject(new WaitTimeoutError(`${what} waiting for ${describe()}`, { cause: signal.reason }));
    }
    if (signal.aborted) {
      onAbort();
      return;
    }
    if (settle(undefined)) return;
    attached = true;
    for (const type of types) target.addEventListener(type, onEvent);
    signal.addEventListener('abort', onAbort, { once: true });
    if (options.pollMs !== undefined) poll = setInterval(() => settle(undefined), options.pollMs);
  });
}

type PubsubLike = Pick<GossipSub, 'getSubscribers' | 'addEventListener' | 'removeEventListener'>;

/**
 * True when gossipsub has its outbound stream to `peer`, i.e. a publish would reach it.
 * A peer's subscription arrives on the peer's stream to us, possibly before our stream to it
 * is open; until then `publish` silently skips that peer (`recipients` does not list it, and no
 * error is thrown when other peers are reachable). `streamsOutbound` is public on the
 * @libp2p/gossipsub class but not on its interface: an implementation without it counts as ready.
 */
export function canPublishTo(pubsub: object, peer: PeerId): boolean {
  if (!('streamsOutbound' in pubsub) || !(pubsub.streamsOutbound instanceof Map)) return true;
  return pubsub.streamsOutbound.has(peer.toString());
}

/**
 * Waits until at least `count` connected peers are subscribed to `topic` AND reachable by a
 * publish (see `canPublishTo`); resolves with them. Publish after this to avoid both
 * `PublishError.NoPeersSubscribedToTopic` and a message silently not sent. Re-checks on
 * `subscription-change` and, because gossipsub emits no event when its outbound stream opens,
 * every 10 ms until the deadline.
 */
export function waitForSubscribers(
  pubsub: PubsubLike,
  topic: string,
  count: number,
  signal?: AbortSignal,
): Promise<PeerId[]> {
  const ready = (): PeerId[] => pubsub.getSubscribers(topic).filter((peer) => canPublishTo(pubsub, peer));
  return waitUntil(
    pubsub as unknown as Listenable,
    ['subscription-change'],
    () => {
      const subscribers = ready();
      return subscribers.length >= count ? subscribers : undefined;
    },
    () =>
      `${count} subscriber(s) on topic "${topic}" (have ${pubsub.getSubscribers(topic).length}, ` +
      `${ready().length} with an open outbound stream)`,
    signal,
    { pollMs: 10 },
  );
}

type NodeLike = Pick<Libp2p, 'getPeers' | 'addEventListener' | 'removeEventListener'>;

/** Waits until the node is connected to at least `count` distinct peers; resolves with them. */
export function waitForConnections(node: NodeLike, count: number, signal?: AbortSignal): Promise<PeerId[]> {
  return waitUntil(
    node as unknown as Listenable,
    ['peer:connect'],
    () => {
      const peers = node.getPeers();
      return peers.length >= count ? peers : undefined;
    },
    () => `connections to ${count} peer(s) (have ${node.getPeers().length})`,
    signal,
  );
}

/** Waits until the node is connected to `peer`. */
export function waitForPeer(node: NodeLike, peer: PeerId, signal?: AbortSignal): Promise<PeerId> {
  return waitUntil(
    node as unknown as Listenable,
    ['peer:connect'],
    () => node.getPeers().find((connected) => connected.equals(peer)),
    () => `a connection to ${peer.toString()}`,
    signal,
  );
}

/** Waits until the node has no connection to `peer` (e.g. after a gater closed it). */
export function waitForDisconnect(node: NodeLike, peer: PeerId, signal?: AbortSignal): Promise<true> {
  return waitUntil(
    node as unknown as Listenable,
    ['peer:disconnect'],
    () => (node.getPeers().some((connected) => connected.equals(peer)) ? undefined : true),
    () => `${peer.toString()} to disconnect`,
    signal,
  );
}

/**
 * Waits for the next gossipsub message on `topic` accepted by `accept` (default: any). Only
 * messages arriving after the call count.
 */
export function waitForMessage(
  pubsub: Pick<GossipSub, 'addEventListener' | 'removeEventListener'>,
  topic: string,
  accept: (message: Message) => boolean = () => true,
  signal?: AbortSignal,
): Promise<Message> {
  return waitUntil(
    pubsub as unknown as Listenable,
    ['message'],
    (event) => {
      if (!(event instanceof CustomEvent)) return undefined;
      const message = event.detail as Message;
      return message.topic === topic && accept(message) ? message : undefined;
    },
    () => `a message on topic "${topic}"`,
    signal,
  );
}
