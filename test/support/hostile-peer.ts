/**
 * A hostile member of a test federation: a real libp2p host (node/host's createHost) that
 * speaks the wire protocol correctly and misbehaves only in what it says and what it serves.
 *
 *     const hostile = await HostilePeer.start({ task, bootstrap: addressesOf(world.peers) });
 *     await hostile.waitForSubscribers(world.peers.map((p) => p.id));
 *     const blob = nanVersion(genesis);
 *     hostile.serve(hashBytes(blob), { kind: 'bytes', bytes: blob });
 *     await hostile.publish({ kind: 'version', round: head.round + 1, hash: hashBytes(blob), ... });
 *     await hostile.stop();
 *
 * - `publish` signs any advert (any kind, round, hashes) as a real gossipsub author; the codec's
 *   encoding rules are the only limit (an honest peer's validator would reject anything else).
 * - `serve` decides per hash what a blob request gets: the bytes, a slow trickle, an `ok` header
 *   announcing a size and then silence, or silence from the start (see `BlobBehaviour`). Unknown
 *   hashes are answered not-found.
 * - `startPresence` makes it an idle member: it announces the honest peers' head, never trains.
 * - `view` follows the honest peers' round from their adverts, `onRound` calls back as it moves.
 *
 * Blobs are built with the project's own encoder and the model's manifest (taken from the task's
 * genesis version), so they decode and are only semantically bad: see ./hostile-blobs.ts.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { Stream, StreamMessageEvent } from '@libp2p/interface';
import type { Message } from '@libp2p/gossipsub';
import { createHost, type Host } from '../../node/host/host.ts';
import type { TaskManifest } from '../../node/task/manifest.ts';
import { decodeAdvert, encodeAdvert } from '../../protocols/adverts/codec.ts';
import { sealAdvert, signWith, type SignStatement } from '../../protocols/adverts/statements.ts';
import { advertTopic } from '../../protocols/adverts/topic.ts';
import { BLOB_PROTOCOL, decodeRequest, encodeResponseHeader, encodeVarint, FrameDecoder, MAX_CHUNK_BYTES, REQUEST_BODY_BYTES } from '../../protocols/blob/wire.ts';
import type { Advert, DeltaAdvert, Hash, PresenceAdvert, VersionAdvert } from '../../protocols/messages.ts';

export { ghostHash, modelOf, nanVersion, perturbedVersion, validVersionOfRound, versionBlob, versionFlood, wrongShapeStateVersion, zeroDelta } from './hostile-blobs.ts';

/** What a blob request for one hash gets. */
export type BlobBehaviour =
  /** The bytes, in ≤ 1 MiB chunks, as an honest server sends them. */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** An `ok` header with `size` at once, then the bytes made by `make` (built only when sent: floods need no memory). */
  | { readonly kind: 'lazy'; readonly size: number; readonly make: () => Uint8Array }
  /** An `ok` header, then `chunkBytes` of the blob every `intervalMs`: valid, and endlessly slow. */
  | { readonly kind: 'trickle'; readonly bytes: Uint8Array; readonly chunkBytes: number; readonly intervalMs: number }
  /** An `ok` header announcing `size` bytes (e.g. 64 MiB), then nothing; the stream stays open. */
  | { readonly kind: 'stall-after-header'; readonly size: number }
  /** The request is read and never answered; the stream stays open until the requester gives up. */
  | { readonly kind: 'never' };

export interface HostilePeerOptions {
  readonly task: TaskManifest;
  /** Multiaddrs (with /p2p/) of honest peers to dial. */
  readonly bootstrap: readonly string[];
  /** Seeds its identity; different from the honest peers' (test helpers seed 1, 2, 3…). Default 200. */
  readonly seed?: number;
  /** Lazy blobs built and sent at once; the other requests wait with their `ok` header sent. Default 4. */
  readonly lazyConcurrency?: number;
}

/** An advert without `task` and `sentAt`: `publish` fills those in. */
export type AdvertBody = Omit<DeltaAdvert, 'task' | 'sentAt'> | Omit<VersionAdvert, 'task' | 'sentAt'> | Omit<PresenceAdvert, 'task' | 'sentAt'>;

/** The honest peers' progress as seen in their adverts. */
export interface HonestView {
  readonly round: number;
  readonly head: Hash;
}

export class HostilePeerError extends Error {
  override name = 'HostilePeerError';
}

/** Rounds at or above this in an honest advert are taken for another attacker's, not the honest head. */
const IMPLAUSIBLE_ROUND = 1_000_000;

export class HostilePeer {
  readonly host: Host;
  readonly id: string;
  readonly task: TaskManifest;
  readonly topic: string;
  /** Blob requests received, by hash (how many). */
  readonly requests = new Map<Hash, number>();
  readonly #behaviours = new Map<Hash, BlobBehaviour>();
  readonly #streams = new Set<Stream>();
  readonly #timers = new Set<ReturnType<typeof setInterval>>();
  readonly #roundListeners = new Set<(view: HonestView) => void>();
  readonly #lazySlots: { free: number; readonly waiting: (() => void)[] };
  #view: HonestView | undefined;
  #stopped = false;

  readonly #sign: SignStatement;

  private constructor(host: Host, task: TaskManifest, lazyConcurrency: number, sign: SignStatement) {
    this.#sign = sign;
    this.host = host;
    this.id = host.peerId.toString();
    this.task = task;
    this.topic = advertTopic(task.id);
    this.#lazySlots = { free: lazyConcurrency, waiting: [] };
  }

  static async start(options: HostilePeerOptions): Promise<HostilePeer> {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(options.seed ?? 200));
    const host = await createHost({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: options.bootstrap });
    const peer = new HostilePeer(host, options.task, options.lazyConcurrency ?? 4, signWith(key));
    await peer.#listen();
    return peer;
  }

  async #listen(): Promise<void> {
    const pubsub = this.host.services.pubsub;
    pubsub.addEventListener('message', this.#onMessage);
    pubsub.subscribe(this.topic);
    await this.host.handle(BLOB_PROTOCOL, (stream) => this.#serveOne(stream), { maxInboundStreams: 10_000 });
  }

  /** The honest peers' latest head, from their presence and version adverts. */
  get view(): HonestView | undefined {
    return this.#view;
  }

  /** Calls `listener` each time the honest head's round grows; returns the unsubscribe function. */
  onRound(listener: (view: HonestView) => void): () => void {
    this.#roundListeners.add(listener);
    return () => this.#roundListeners.delete(listener);
  }

  readonly #onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail;
    if (message.topic !== this.topic || message.type !== 'signed') return;
    let advert: Advert;
    try {
      advert = decodeAdvert(message.data);
    } catch {
      return;
    }
    const seen = advert.kind === 'presence' ? { round: advert.round, head: advert.head } : advert.kind === 'version' ? { round: advert.round, head: advert.hash } : undefined;
    if (seen === undefined || seen.round >= IMPLAUSIBLE_ROUND) return;
    if (this.#view !== undefined && seen.round <= this.#view.round) return;
    this.#view = seen;
    for (const listener of [...this.#roundListeners]) listener(seen);
  };

  /** Resolves once every peer in `peers` is subscribed to the task topic (as this host sees it). */
  async waitForSubscribers(peers: readonly string[], timeoutMs = 10_000): Promise<void> {
    const pubsub = this.host.services.pubsub;
    const ready = () => {
      const subscribed = new Set(pubsub.getSubscribers(this.topic).map(String));
      return peers.every((peer) => subscribed.has(peer));
    };
    if (ready()) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        pubsub.removeEventListener('subscription-change', onChange);
      };
      const onChange = (): void => {
        if (!ready()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new HostilePeerError(`only ${pubsub.getSubscribers(this.topic).length} of ${peers.length} honest peers subscribed to ${this.topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      pubsub.addEventListener('subscription-change', onChange);
    });
  }

  /** Resolves once the honest view is known (some honest presence or version advert arrived). */
  async waitForView(timeoutMs = 10_000): Promise<HonestView> {
    if (this.#view !== undefined) return this.#view;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new HostilePeerError(`no honest presence or version advert within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onRound((view) => {
        clearTimeout(timer);
        off();
        resolve(view);
      });
    });
  }

  /** Signs and publishes `advert` on the task topic (sentAt = now unless given); resolves with its recipients. */
  async publish(advert: AdvertBody & { readonly sentAt?: number }): Promise<number> {
    // Signed with its own key, as any admitted member's statements are: it lies in what it says, not about who says it.
    const full = sealAdvert({ task: this.task.id, sentAt: Date.now(), ...advert } as Advert, this.id, this.#sign);
    const result = await this.host.services.pubsub.publish(this.topic, encodeAdvert(full));
    return result.recipients.length;
  }

  /**
   * Publishes `advert` until gossipsub hands it to at least `peers` peers (the mesh can lag behind
   * the subscriptions for a heartbeat: each retry waits for the next one); returns how many got
   * the last copy.
   */
  async publishToAll(advert: AdvertBody, peers: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const pubsub = this.host.services.pubsub;
    for (;;) {
      const recipients = await this.publish(advert);
      if (recipients >= peers || Date.now() > deadline || this.#stopped) return recipients;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          pubsub.removeEventListener('gossipsub:heartbeat', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        pubsub.addEventListener('gossipsub:heartbeat', done);
      });
    }
  }

  /** Publishes `count` adverts from `make(i)`, one after another as fast as gossipsub takes them; ends early on `stop()`. */
  async publishMany(count: number, make: (index: number) => AdvertBody): Promise<number> {
    let published = 0;
    for (let i = 0; i < count && !this.#stopped; i++) {
      await this.publish(make(i));
      published++;
    }
    return published;
  }

  /** From now on a request for `hash` gets `behaviour`. */
  serve(hash: Hash, behaviour: BlobBehaviour): void {
    this.#behaviours.set(hash, behaviour);
  }

  /**
   * An idle member: announces presence with the honest head (as if in step) every `intervalMs`,
   * never trains, never aggregates. Stops with `stop()`.
   */
  startPresence(intervalMs: number): void {
    const announce = (): void => {
      const view = this.#view;
      if (view === undefined || this.#stopped) return;
      this.publish({ kind: 'presence', round: view.round, head: view.head, age: 0 }).catch(() => {});
    };
    announce();
    this.#timers.add(setInterval(announce, intervalMs));
  }

  async #serveOne(stream: Stream): Promise<void> {
    if (this.#stopped) {
      stream.abort(new HostilePeerError('stopped'));
      return;
    }
    this.#streams.add(stream);
    const forget = (): void => {
      this.#streams.delete(stream);
    };
    stream.addEventListener('close', forget, { once: true });
    try {
      const hash = await readRequestHash(stream);
      this.requests.set(hash, (this.requests.get(hash) ?? 0) + 1);
      const behaviour = this.#behaviours.get(hash);
      if (behaviour === undefined) {
        await send(stream, encodeResponseHeader({ status: 'not-found', size: 0 }));
        await stream.close();
        return;
      }
      await this.#answer(stream, behaviour);
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async #answer(stream: Stream, behaviour: BlobBehaviour): Promise<void> {
    switch (behaviour.kind) {
      case 'bytes':
        await send(stream, encodeResponseHeader({ status: 'ok', size: behaviour.bytes.byteLength }));
        await sendChunks(stream, behaviour.bytes);
        await stream.close();
        return;
      case 'lazy': {
        await send(stream, encodeResponseHeader({ status: 'ok', size: behaviour.size }));
        await this.#lazySlot();
        try {
          if (stream.status !== 'open') return;
          const bytes = behaviour.make();
          if (bytes.byteLength !== behaviour.size) throw new HostilePeerError(`lazy blob is ${bytes.byteLength} bytes, announced ${behaviour.size}`);
          await sendChunks(stream, bytes);
        } finally {
          this.#releaseLazySlot();
        }
        await stream.close();
        return;
      }
      case 'trickle':
        await send(stream, encodeResponseHeader({ status: 'ok', size: behaviour.bytes.byteLength }));
        await this.#trickle(stream, behaviour);
        return;
      case 'stall-after-header':
        await send(stream, encodeResponseHeader({ status: 'ok', size: behaviour.size }));
        return; // stays open: the requester must give up
      case 'never':
        return;
      default: {
        const unknown: never = behaviour;
        throw new HostilePeerError(`unknown blob behaviour ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Sends one small chunk frame per tick; the timer goes when the stream closes or the peer stops. */
  #trickle(stream: Stream, behaviour: Extract<BlobBehaviour, { kind: 'trickle' }>): Promise<void> {
    return new Promise((resolve) => {
      let offset = 0;
      const timer = setInterval(() => {
        if (stream.status !== 'open' || this.#stopped || offset >= behaviour.bytes.byteLength) {
          finish();
          if (stream.status === 'open' && offset >= behaviour.bytes.byteLength) void stream.close().catch(() => {});
          return;
        }
        const chunk = behaviour.bytes.subarray(offset, Math.min(offset + behaviour.chunkBytes, behaviour.bytes.byteLength));
        offset += chunk.byteLength;
        stream.send(encodeVarint(chunk.byteLength));
        stream.send(chunk);
      }, behaviour.intervalMs);
      this.#timers.add(timer);
      const finish = (): void => {
        clearInterval(timer);
        this.#timers.delete(timer);
        stream.removeEventListener('close', finish);
        resolve();
      };
      stream.addEventListener('close', finish);
    });
  }

  #lazySlot(): Promise<void> {
    if (this.#lazySlots.free > 0) {
      this.#lazySlots.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#lazySlots.waiting.push(resolve));
  }

  #releaseLazySlot(): void {
    const next = this.#lazySlots.waiting.shift();
    if (next !== undefined) next();
    else this.#lazySlots.free++;
  }

  /** Stops announcing, aborts every open stream, clears every timer, stops the host. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    this.#roundListeners.clear();
    for (const stream of this.#streams) stream.abort(new HostilePeerError('hostile peer stopped'));
    this.#streams.clear();
    for (const waiting of this.#lazySlots.waiting.splice(0)) waiting();
    this.host.services.pubsub.removeEventListener('message', this.#onMessage);
    await this.host.stop();
  }
}

async function send(stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain();
}

async function sendChunks(stream: Stream, blob: Uint8Array): Promise<void> {
  for (let offset = 0; offset < blob.byteLength; offset += MAX_CHUNK_BYTES) {
    const chunk = blob.subarray(offset, Math.min(offset + MAX_CHUNK_BYTES, blob.byteLength));
    await send(stream, encodeVarint(chunk.byteLength));
    await send(stream, chunk);
  }
}

/** Reads the one request frame of a blob stream and returns the hash it asks for. */
function readRequestHash(stream: Stream): Promise<Hash> {
  return new Promise((resolve, reject) => {
    const body = new Uint8Array(REQUEST_BODY_BYTES);
    let filled = 0;
    let settled = false;
    const settle = (outcome: Hash | Error): void => {
      if (settled) return;
      settled = true;
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      if (typeof outcome === 'string') resolve(outcome);
      else reject(outcome);
    };
    const decoder = new FrameDecoder({
      start(length) {
        if (length !== REQUEST_BODY_BYTES) throw new HostilePeerError(`request frame of ${length} bytes`);
      },
      data(bytes) {
        body.set(bytes, filled);
        filled += bytes.byteLength;
      },
      end() {
        settle(decodeRequest(body).hash);
      },
    });
    const onMessage = (event: StreamMessageEvent): void => {
      try {
        for (const piece of event.data instanceof Uint8Array ? [event.data] : event.data) if (!settled) decoder.feed(piece);
      } catch (error) {
        settle(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onClose = (): void => settle(new HostilePeerError('the stream closed before a request arrived'));
    stream.addEventListener('message', onMessage);
    stream.addEventListener('close', onClose);
  });
}

/** The listening multiaddr of each honest peer, for `bootstrap`. */
export function addressesOf(peers: readonly { readonly host: Host }[]): string[] {
  return peers.map((peer) => peer.host.getMultiaddrs()[0]!.toString());
}
