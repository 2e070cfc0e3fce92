/**
 * The simulated network: small messages (adverts) and blob transfers between peer ids, in
 * the virtual time of a `Scheduler`. Every random choice comes from the `Rng` it is given.
 *
 * Modelling decisions
 * - Messages. `publish(from, payload)` models a gossipsub topic as direct delivery to every
 *   recipient candidate: the publisher's `neighbours(peer)` when a topology callback is given,
 *   else every peer with a subscription. Multi-hop forwarding is not modelled. A copy is put on
 *   the wire only to candidates that are subscribed, online and reachable (not across a
 *   partition) when it is sent — a gossipsub peer only sends to connected peers. Each copy
 *   independently: is dropped with `dropProbability`; else arrives after a sampled one-way
 *   latency, and is delivered if, at that moment, the recipient is still online, subscribed and
 *   reachable (else it counts as lost). `send(from, to)` is the point-to-point form.
 * - Blobs. `transfer(from, to, bytes)`: the data leaves `from` while sharing bandwidth, then
 *   arrives one sampled latency later: time = latency + bytes / share. Sharing is processor
 *   sharing: a flow's rate is min(upload(from) / active uploads of from, download(to) /
 *   active downloads of to), recomputed whenever a flow starts or ends at either end (a simple,
 *   not max-min-fair, approximation). Bandwidths are bytes per second, Infinity by default.
 * - Transfer failures. A transfer fails with `transferFailureProbability` (defaults to
 *   `dropProbability`): it then stops after a uniform fraction of its bytes (they still consume
 *   bandwidth) and the failure is reported one latency later. A transfer also fails when either
 *   end goes offline or a partition separates them while the data is moving (reported at once),
 *   or when the receiver is offline/separated when the last byte arrives. A transfer to or from
 *   an offline or unreachable peer fails after `connectTimeoutMs`.
 * - Partitions. `partition(at, groups)`: from `at`, peers in different groups cannot reach
 *   each other; peers listed in no group form one more group together. A later partition
 *   replaces the current one; `heal(at)` removes it.
 * - Counters per peer (messages and blob bytes sent/received, failed transfers) and in total
 *   (dropped messages, lost messages, completed/failed transfers). For messages:
 *   sent = received + dropped + lost + in flight.
 */
import type { Rng } from '../../node/learn/rng.ts';
import type { Cancel, Scheduler } from './scheduler.ts';
import { NetworkConfigError, sampleLatency, validateLatency, type LatencyModel } from './links.ts';

export { NetworkConfigError, type LatencyModel } from './links.ts';

export interface PeerCounters {
  messagesSent: number;
  messagesReceived: number;
  messageBytesSent: number;
  messageBytesReceived: number;
  /** Blob bytes that left this peer (including bytes of transfers that later failed). */
  blobBytesSent: number;
  /** Blob bytes of transfers this peer completed receiving. */
  blobBytesReceived: number;
  transfersSent: number;
  transfersReceived: number;
  /** Transfers to or from this peer that failed (not counting aborts). */
  transfersFailed: number;
}

export interface NetworkTotals {
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  /** Copies whose recipient went offline, unsubscribed or was partitioned away in flight. */
  messagesLost: number;
  transfersStarted: number;
  transfersCompleted: number;
  transfersFailed: number;
  transfersAborted: number;
}

export type TransferFailure = 'offline' | 'unreachable' | 'partitioned' | 'failed' | 'aborted';
export type TransferResult = { readonly ok: true } | { readonly ok: false; readonly reason: TransferFailure };

export interface SimNetworkOptions {
  readonly scheduler: Scheduler;
  readonly rng: Rng;
  readonly latency: LatencyModel;
  /** Probability that one message copy is lost. Default 0. */
  readonly dropProbability?: number;
  /** Probability that one blob transfer fails midway. Default: `dropProbability`. */
  readonly transferFailureProbability?: number;
  /** Default upload bandwidth of a peer, bytes/s. Default Infinity. */
  readonly uploadBps?: number;
  /** Default download bandwidth of a peer, bytes/s. Default Infinity. */
  readonly downloadBps?: number;
  /** How long contacting an offline or unreachable peer takes to fail, ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** The overlay: whom a publish from `peer` goes to. Default: every subscribed peer. */
  readonly neighbours?: (peer: string) => readonly string[];
}

export interface PeerOptions {
  readonly uploadBps?: number;
  readonly downloadBps?: number;
  /** Default true. */
  readonly online?: boolean;
}

interface Peer {
  readonly id: string;
  readonly uploadBps: number;
  readonly downloadBps: number;
  online: boolean;
  readonly handlers: Set<(from: string, payload: unknown) => void>;
  readonly uploads: Set<Flow>;
  readonly downloads: Set<Flow>;
  readonly counters: PeerCounters;
}

interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly bytes: number;
  /** Bytes after which the flow stops: `bytes`, or less for a flow that will fail. */
  readonly stopAt: number;
  sent: number;
  rate: number;
  last: number;
  cancelStep: Cancel | undefined;
  /** When the pending step event fires. */
  stepAt: number;
  /** When the flow's data phase ends at its current rate. */
  finishAt: number;
  readonly done: (result: TransferResult) => void;
}

function probability(value: number | undefined, what: string): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new NetworkConfigError(`${what} must be in [0, 1], got ${value}`);
  return p;
}

function bandwidth(value: number | undefined, what: string): number {
  const bps = value ?? Infinity;
  if (!(bps > 0)) throw new NetworkConfigError(`${what} must be > 0 bytes/s (Infinity for unlimited), got ${value}`);
  return bps;
}

export class SimNetwork<Payload = unknown> {
  readonly scheduler: Scheduler;
  readonly connectTimeoutMs: number;
  readonly #rng: Rng;
  readonly #latency: LatencyModel;
  readonly #drop: number;
  readonly #transferFailure: number;
  readonly #uploadBps: number;
  readonly #downloadBps: number;
  readonly #neighbours: ((peer: string) => readonly string[]) | undefined;
  readonly #peers = new Map<string, Peer>();
  /** Peer id → partition group index; undefined when not partitioned. */
  #groups: Map<string, number> | undefined;
  readonly #dirty = new Set<Peer>();
  #rebalanceQueued = false;
  readonly totals: NetworkTotals = {
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    messagesLost: 0,
    transfersStarted: 0,
    transfersCompleted: 0,
    transfersFailed: 0,
    transfersAborted: 0,
  };

  constructor(options: SimNetworkOptions) {
    validateLatency(options.latency);
    this.scheduler = options.scheduler;
    this.#rng = options.rng;
    this.#latency = options.latency;
    this.#drop = probability(options.dropProbability, 'dropProbability');
    this.#transferFailure = probability(options.transferFailureProbability ?? this.#drop, 'transferFailureProbability');
    this.#uploadBps = bandwidth(options.uploadBps, 'uploadBps');
    this.#downloadBps = bandwidth(options.downloadBps, 'downloadBps');
    this.#neighbours = options.neighbours;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    if (!(this.connectTimeoutMs >= 0)) throw new NetworkConfigError(`connectTimeoutMs must be ≥ 0, got ${options.connectTimeoutMs}`);
  }

  // ---- peers ----

  addPeer(id: string, options: PeerOptions = {}): void {
    if (this.#peers.has(id)) throw new NetworkConfigError(`peer ${id} is already on the network`);
    this.#peers.set(id, {
      id,
      uploadBps: bandwidth(options.uploadBps ?? this.#uploadBps, `uploadBps of ${id}`),
      downloadBps: bandwidth(options.downloadBps ?? this.#downloadBps, `downloadBps of ${id}`),
      online: options.online ?? true,
      handlers: new Set(),
      uploads: new Set(),
      downloads: new Set(),
      counters: {
        messagesSent: 0,
        messagesReceived: 0,
        messageBytesSent: 0,
        messageBytesReceived: 0,
        blobBytesSent: 0,
        blobBytesReceived: 0,
        transfersSent: 0,
        transfersReceived: 0,
        transfersFailed: 0,
      },
    });
  }

  hasPeer(id: string): boolean {
    return this.#peers.has(id);
  }

  get peers(): readonly string[] {
    return [...this.#peers.keys()];
  }

  isOnline(id: string): boolean {
    return this.#peer(id).online;
  }

  /** Takes a peer on- or offline now; going offline fails its transfers at once. */
  setOnline(id: string, online: boolean): void {
    const peer = this.#peer(id);
    if (peer.online === online) return;
    peer.online = online;
    if (!online) for (const flow of [...peer.uploads, ...peer.downloads]) this.#endFlow(flow, { ok: false, reason: 'offline' });
  }

  counters(id: string): Readonly<PeerCounters> {
    return this.#peer(id).counters;
  }

  // ---- partitions ----

  /** Whether `a` and `b` can reach each other now (ignores whether they are online). */
  reachable(a: string, b: string): boolean {
    if (this.#groups === undefined) return true;
    return (this.#groups.get(a) ?? -1) === (this.#groups.get(b) ?? -1);
  }

  /** Partitions the network into `groups` now (see the file comment). */
  partitionNow(groups: readonly (readonly string[])[]): void {
    const map = new Map<string, number>();
    groups.forEach((group, index) => {
      for (const id of group) {
        if (map.has(id)) throw new NetworkConfigError(`peer ${id} is in two partition groups`);
        map.set(id, index);
      }
    });
    this.#groups = map;
    for (const peer of this.#peers.values()) {
      for (const flow of [...peer.uploads]) {
        if (!this.reachable(flow.from.id, flow.to.id)) this.#endFlow(flow, { ok: false, reason: 'partitioned' });
      }
    }
  }

  healNow(): void {
    this.#groups = undefined;
  }

  /** Schedules a partition at virtual time `at`. */
  partition(at: number, groups: readonly (readonly string[])[]): Cancel {
    return this.scheduler.at(at, () => this.partitionNow(groups));
  }

  /** Schedules the end of any partition at virtual time `at`. */
  heal(at: number): Cancel {
    return this.scheduler.at(at, () => this.healNow());
  }

  /** One sampled one-way latency from `from` to `to`, ms. */
  latency(from: string, to: string): number {
    return sampleLatency(this.#latency, from, to, this.#rng);
  }

  // ---- messages ----

  /** Registers `peer`'s message handler; returns the unsubscribe function. */
  subscribe(id: string, handler: (from: string, payload: Payload) => void): () => void {
    const peer = this.#peer(id);
    const h = handler as (from: string, payload: unknown) => void;
    peer.handlers.add(h);
    return () => {
      peer.handlers.delete(h);
    };
  }

  /**
   * Publishes to the recipient candidates (see the file comment); returns the copies sent.
   * Copies that arrive at the same moment are delivered by one scheduler event, in candidate
   * order (with a constant latency a publish to 10,000 peers is one event, not 10,000).
   */
  publish(from: string, payload: Payload, bytes: number): number {
    const sender = this.#peer(from);
    if (!sender.online) return 0;
    const candidates = this.#neighbours !== undefined ? this.#neighbours(from) : this.#peers.keys();
    const arriving = new Map<number, Peer[]>();
    let copies = 0;
    for (const to of candidates) {
      if (to === from) continue;
      const peer = this.#peers.get(to);
      if (peer === undefined || !peer.online || peer.handlers.size === 0 || !this.reachable(from, to)) continue;
      const delay = this.#putOnWire(sender, peer, bytes);
      copies++;
      if (delay === undefined) continue;
      const batch = arriving.get(delay);
      if (batch === undefined) arriving.set(delay, [peer]);
      else batch.push(peer);
    }
    for (const [delay, recipients] of arriving) {
      this.scheduler.after(delay, () => {
        for (const recipient of recipients) this.#deliver(sender, recipient, payload, bytes);
      });
    }
    return copies;
  }

  /** Sends one message copy from `from` to `to` (lost if `to` is offline or unreachable). */
  send(from: string, to: string, payload: Payload, bytes: number): void {
    const sender = this.#peer(from);
    if (!sender.online) return;
    const recipient = this.#peer(to);
    const delay = this.#putOnWire(sender, recipient, bytes);
    if (delay !== undefined) this.scheduler.after(delay, () => this.#deliver(sender, recipient, payload, bytes));
  }

  /** Counts a copy as sent; returns its latency, or undefined when it is dropped. */
  #putOnWire(sender: Peer, recipient: Peer, bytes: number): number | undefined {
    sender.counters.messagesSent++;
    sender.counters.messageBytesSent += bytes;
    this.totals.messagesSent++;
    if (this.#drop > 0 && this.#rng.next() < this.#drop) {
      this.totals.messagesDropped++;
      return undefined;
    }
    return this.latency(sender.id, recipient.id);
  }

  #deliver(sender: Peer, recipient: Peer, payload: Payload, bytes: number): void {
    if (!recipient.online || recipient.handlers.size === 0 || !this.reachable(sender.id, recipient.id)) {
      this.totals.messagesLost++;
      return;
    }
    recipient.counters.messagesReceived++;
    recipient.counters.messageBytesReceived += bytes;
    this.totals.messagesDelivered++;
    for (const handler of [...recipient.handlers]) handler(sender.id, payload);
  }

  // ---- blob transfers ----

  /**
   * Moves `bytes` from `from` to `to`; `done` is called exactly once (unless aborted by the
   * returned function, which reports `aborted` at once).
   */
  transfer(from: string, to: string, bytes: number, done: (result: TransferResult) => void): Cancel {
    if (!(Number.isFinite(bytes) && bytes >= 0)) throw new NetworkConfigError(`transfer size must be a finite number ≥ 0, got ${bytes}`);
    const sender = this.#peer(from);
    const receiver = this.#peer(to);
    this.totals.transfersStarted++;
    if (!sender.online || !receiver.online || !this.reachable(from, to)) {
      const reason: TransferFailure = receiver.online && sender.online ? 'unreachable' : 'offline';
      let finished = false;
      const cancel = this.scheduler.after(this.connectTimeoutMs, () => {
        finished = true;
        this.#countFailure(sender, receiver);
        done({ ok: false, reason });
      });
      return () => {
        if (finished) return;
        finished = true;
        cancel();
        this.totals.transfersAborted++;
        done({ ok: false, reason: 'aborted' });
      };
    }
    const fails = this.#transferFailure > 0 && this.#rng.next() < this.#transferFailure;
    const flow: Flow = {
      from: sender,
      to: receiver,
      bytes,
      stopAt: fails ? bytes * this.#rng.next() : bytes,
      sent: 0,
      rate: 0,
      last: this.scheduler.now,
      cancelStep: undefined,
      stepAt: Infinity,
      finishAt: Infinity,
      done,
    };
    sender.uploads.add(flow);
    receiver.downloads.add(flow);
    this.#rebalance(sender, receiver);
    let tail: Cancel | undefined;
    let finished = false;
    const wrappedDone = flow.done;
    // Route the flow's end through the latency tail.
    (flow as { done: (result: TransferResult) => void }).done = (result) => {
      if (!result.ok && result.reason !== 'failed') {
        finished = true;
        if (result.reason !== 'aborted') this.#countFailure(sender, receiver);
        wrappedDone(result);
        return;
      }
      tail = this.scheduler.after(this.latency(from, to), () => {
        finished = true;
        if (!result.ok) {
          this.#countFailure(sender, receiver);
          wrappedDone(result);
        } else if (!receiver.online || !this.reachable(from, to)) {
          this.#countFailure(sender, receiver);
          wrappedDone({ ok: false, reason: receiver.online ? 'partitioned' : 'offline' });
        } else {
          sender.counters.transfersSent++;
          receiver.counters.transfersReceived++;
          receiver.counters.blobBytesReceived += bytes;
          this.totals.transfersCompleted++;
          wrappedDone({ ok: true });
        }
      });
    };
    return () => {
      if (finished) return;
      finished = true;
      this.totals.transfersAborted++;
      if (tail !== undefined) tail();
      else this.#endFlow(flow, undefined);
      wrappedDone({ ok: false, reason: 'aborted' });
    };
  }

  #countFailure(sender: Peer, receiver: Peer): void {
    this.totals.transfersFailed++;
    sender.counters.transfersFailed++;
    if (receiver !== sender) receiver.counters.transfersFailed++;
  }

  /** Removes a moving flow, counts its bytes, rebalances its ends, reports `result` (if any). */
  #endFlow(flow: Flow, result: TransferResult | undefined): void {
    if (!flow.from.uploads.has(flow)) return;
    this.#settle(flow);
    flow.cancelStep?.();
    flow.cancelStep = undefined;
    flow.from.uploads.delete(flow);
    flow.to.downloads.delete(flow);
    flow.from.counters.blobBytesSent += flow.sent;
    this.#rebalance(flow.from, flow.to);
    if (result !== undefined) flow.done(result);
  }

  #settle(flow: Flow): void {
    const now = this.scheduler.now;
    if (flow.rate > 0 && now > flow.last) flow.sent = Math.min(flow.stopAt, flow.sent + (flow.rate * (now - flow.last)) / 1000);
    flow.last = now;
  }

  /**
   * Marks both ends' flows for a rate update. Updates are batched: one scheduler event at the
   * current time recomputes every marked peer's flows once, so many flows starting or ending
   * at the same instant cost one pass, not one pass each.
   */
  #rebalance(sender: Peer, receiver: Peer): void {
    this.#dirty.add(sender);
    this.#dirty.add(receiver);
    if (!this.#rebalanceQueued) {
      this.#rebalanceQueued = true;
      this.scheduler.after(0, () => this.#rebalanceNow());
    }
  }

  #rebalanceNow(): void {
    this.#rebalanceQueued = false;
    const affected = new Set<Flow>();
    for (const peer of this.#dirty) {
      for (const flow of peer.uploads) affected.add(flow);
      for (const flow of peer.downloads) affected.add(flow);
    }
    this.#dirty.clear();
    const now = this.scheduler.now;
    for (const flow of affected) {
      const rate = Math.min(flow.from.uploadBps / flow.from.uploads.size, flow.to.downloadBps / flow.to.downloads.size);
      if (rate === flow.rate && flow.cancelStep !== undefined) continue;
      this.#settle(flow);
      flow.rate = rate;
      const left = Math.max(0, flow.stopAt - flow.sent);
      flow.finishAt = rate === Infinity || left === 0 ? now : now + (left / rate) * 1000;
      // A pending step event that fires too early just re-arms itself; only an event that
      // would fire too late is replaced (this keeps heap traffic low when flows join).
      if (flow.cancelStep !== undefined && flow.stepAt <= flow.finishAt) continue;
      flow.cancelStep?.();
      this.#armStep(flow);
    }
  }

  #armStep(flow: Flow): void {
    flow.stepAt = flow.finishAt;
    flow.cancelStep = this.scheduler.at(flow.finishAt, () => {
      flow.cancelStep = undefined;
      if (this.scheduler.now < flow.finishAt) {
        this.#armStep(flow);
        return;
      }
      flow.rate = 0;
      flow.sent = flow.stopAt;
      this.#endFlow(flow, flow.stopAt < flow.bytes ? { ok: false, reason: 'failed' } : { ok: true });
    });
  }

  #peer(id: string): Peer {
    const peer = this.#peers.get(id);
    if (peer === undefined) throw new NetworkConfigError(`unknown peer ${id}: add it with addPeer first`);
    return peer;
  }
}

export { SimTransport, type SimTransportOptions, BlobFetchError } from './sim-transport.ts';
