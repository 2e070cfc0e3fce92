/**
 * Runs one peer's round engine: feeds it events, carries out its effects with the peer's
 * learner, store and transport, and feeds the results back. The same runtime runs in a real
 * peer (libp2p transport, system clock) and in the simulator (virtual ones).
 */
import type { Hash } from '../../protocols/messages.ts';
import type { GossipEngine } from '../round/gossip-engine.ts';
import type { RoundEngine } from '../round/engine.ts';
import type { Effect, EngineEvent, Head, TimerName, VersionPatch } from '../round/events.ts';
import type { Clock, Transport } from '../round/ports.ts';
import { hashBytes } from '../store/blobs.ts';
import type { BlobStore, CheckpointStore, ConvictionStore, VersionStore } from '../store/index.ts';
import { aggregateDeltas, NoValidDeltaError, recomputeVersion, type WorkContext } from './aggregation-work.ts';
import type { LatePull } from './delta-pulls.ts';
import type { Learner } from './learner.ts';
import { InvalidVersionError } from './version-blob.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));


/**
 * What the runtime needs of a peer's store: the on-disk TaskStore of a real peer, or an
 * in-memory one in the simulator.
 */
export interface RuntimeStore {
  readonly taskId: string;
  /** Where it lives, for messages. */
  readonly dir: string;
  readonly blobs: Pick<BlobStore, 'get' | 'has' | 'put'>;
  readonly versions: Pick<VersionStore, 'get' | 'record'>;
  readonly checkpoint: Pick<CheckpointStore, 'load' | 'save' | 'verify'>;
  readonly convictions: Pick<ConvictionStore, 'load' | 'add'>;
}

/** What the runtime needs of the learner: a peer's own, or one sharing a model in the simulator. */
export type RuntimeLearner = Pick<Learner, 'genesisBlob' | 'checkVersion' | 'train' | 'trainModel' | 'validate' | 'aggregate' | 'applyPatch' | 'merge'> &
  Partial<Pick<Learner, 'screenUpdates'>>;

export type PeerEvent =
  | { readonly type: 'adopted'; readonly head: Head }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  | { readonly type: 'rejected'; readonly round: number; readonly peer: string; readonly reason: string }
  | { readonly type: 'trained'; readonly round: number; readonly samples: number; readonly seconds: number }
  | { readonly type: 'finished'; readonly head: Head };

/**
 * What an observer of the runtime sees (`PeerRuntime.observe`): every engine event and effect as
 * it is handled, and the moment an aggregation's pulls are done (its deltas are in; validation and
 * aggregation come next).
 */
export type RuntimeTrace =
  | { readonly kind: 'event'; readonly event: EngineEvent }
  | { readonly kind: 'effect'; readonly effect: Effect }
  | { readonly kind: 'pulled'; readonly round: number; readonly deltas: number };

/** Either mode's engine: both take the same events and give the same kinds of effects. */
export type Engine = RoundEngine | GossipEngine;

export interface RuntimeInit {
  readonly engine: Engine;
  readonly taskHash: Hash;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly store: RuntimeStore;
  readonly learner: RuntimeLearner;
  readonly maxBlobBytes: number;
  /** Longest a whole pull (all holders) may take. */
  readonly fetchTimeoutMs: number;
  /**
   * How long the work of an effect takes on the runtime's clock before its result is handled:
   * 0 for a real peer (results are handled as they come); modelled compute time in the simulator.
   */
  readonly workTime?: (effect: Effect) => number;
  readonly onEvent?: (event: PeerEvent) => void;
}

export class PeerRuntime {
  readonly engine: Engine;
  readonly #init: RuntimeInit;
  readonly #timers = new Map<TimerName, () => void>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #unsubscribe: (() => void) | undefined;
  #observer: ((trace: RuntimeTrace) => void) | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();
  /** The last adoption's record and checkpoint write (each waits for the one before; never rejects). */
  #persisting: Promise<void> = Promise.resolve();

  constructor(init: RuntimeInit) {
    this.#init = init;
    this.engine = init.engine;
  }

  #emit(event: PeerEvent): void {
    this.#init.onEvent?.(event);
  }

  /** What the aggregation work (aggregation-work.ts) needs of this runtime. */
  get #work(): WorkContext {
    const { learner, store, clock, fetchTimeoutMs } = this.#init;
    return {
      learner,
      store,
      clock,
      fetchTimeoutMs,
      blob: (hash, holders, options) => this.#blob(hash, holders, options),
      emit: (event) => this.#emit(event),
      observe: (trace) => this.#observer?.(trace),
    };
  }

  /**
   * Hands `observer` what the runtime does as it happens (see RuntimeTrace), for benchmarks and
   * diagnostics; observing changes nothing, and the observer must not throw. One observer at a
   * time; `undefined` removes it.
   */
  observe(observer: ((trace: RuntimeTrace) => void) | undefined): void {
    this.#observer = observer;
  }

  /** Resumes from the checkpoint, or starts from the task's genesis version. */
  async start(): Promise<Head> {
    const { store, transport } = this.#init;
    const head = (await this.#resume()) ?? (await this.#genesis());
    await transport.serve((hash) => store.blobs.get(hash));
    this.#unsubscribe = transport.onAdvert(({ from, advert }) => this.#dispatch({ type: 'advert', now: this.#init.clock.now(), from, advert }));
    const convicted = (await store.convictions.load()).map((c) => c.peer);
    if (convicted.length > 0) this.#emit({ type: 'log', level: 'info', message: `${convicted.length} peer(s) convicted by fraud proofs before the restart never curate: ${convicted.join(', ')}` });
    this.#dispatch({ type: 'start', now: this.#init.clock.now(), head, convicted });
    return head;
  }

  async #resume(): Promise<Head | undefined> {
    const { store } = this.#init;
    const checkpoint = await store.checkpoint.load();
    if (checkpoint === undefined) return undefined;
    const verification = await store.checkpoint.verify();
    if (!verification.ok) {
      throw new Error(`the checkpoint in ${store.dir} cannot be resumed: ${verification.problems.join('; ')}`);
    }
    const record = await store.versions.get(checkpoint.head);
    const blob = await store.blobs.get(checkpoint.head);
    try {
      this.#init.learner.checkVersion(blob!, checkpoint.round);
    } catch (error) {
      if (!(error instanceof InvalidVersionError)) throw error;
      throw new InvalidVersionError(
        `the checkpointed version in ${store.dir} is not a version of this task's round ${checkpoint.round} (${error.message}); ` +
          'a store written before versions carried their round tag cannot be resumed: move the folder aside to start afresh',
      );
    }
    this.#emit({ type: 'log', level: 'info', message: `resuming at round ${checkpoint.round} (version ${checkpoint.head.slice(0, 12)})` });
    return {
      round: checkpoint.round,
      hash: checkpoint.head,
      parent: record?.parent === '' ? undefined : record?.parent,
      contributors: (record?.contributors ?? []).map(({ signature, ...c }) => (signature === undefined ? c : { ...c, signature: fromHex(signature) })),
      merged: record?.merged ?? [],
      curator: record?.curator,
      ...(record?.signature === undefined ? {} : { signature: fromHex(record.signature) }),
      bytes: blob!.byteLength,
    };
  }

  async #genesis(): Promise<Head> {
    const { store, learner } = this.#init;
    const blob = learner.genesisBlob();
    const hash = await store.blobs.put(blob);
    const head: Head = { round: 0, hash, parent: undefined, contributors: [], merged: [], curator: undefined, bytes: blob.byteLength };
    await this.#persist(head);
    return head;
  }

  /**
   * Records the head's provenance and checkpoints it. A head adopted by catching up from a
   * presence advert has no known parent yet: it is checkpointed only once its version advert
   * arrives (the engine adopts it again then), so a restart never resumes at a version without
   * a record — it resumes at the previous head and catches up again.
   */
  async #persist(head: Head): Promise<void> {
    const { store, taskHash } = this.#init;
    if (head.round > 0 && head.parent === undefined) {
      this.#emit({ type: 'log', level: 'info', message: `round ${head.round} (${head.hash.slice(0, 12)}) adopted without its provenance; checkpointed when its version advert arrives` });
      return;
    }
    // The record first, and the checkpoint only if it was stored: a record that conflicts with
    // one on disk (the version claimed at another round, say) or is invalid leaves the checkpoint
    // where it was, so that nothing is persisted on the word of a head that cannot be recorded.
    await store.versions.record({
      round: head.round,
      hash: head.hash,
      parent: head.parent ?? '',
      contributors: head.contributors.map(({ signature, ...c }) => (signature === undefined ? c : { ...c, signature: toHex(signature) })),
      merged: head.merged,
      ...(head.curator === undefined ? {} : { curator: head.curator }),
      ...(head.signature === undefined ? {} : { signature: toHex(head.signature) }),
      ...(head.metrics === undefined ? {} : { metrics: { accuracy: head.metrics.accuracy, loss: head.metrics.loss } }),
      createdAt: this.#init.clock.now(),
    });
    await store.checkpoint.save({ task: store.taskId, taskHash, round: head.round, head: head.hash, updatedAt: this.#init.clock.now() });
  }

  #dispatch(event: EngineEvent): void {
    if (this.#stopped) return;
    this.#observer?.({ kind: 'event', event });
    let effects: Effect[];
    try {
      effects = this.engine.handle(event);
    } catch (error) {
      this.#emit({ type: 'log', level: 'warn', message: `the round engine refused an event (${event.type}): ${(error as Error).message}` });
      return;
    }
    for (const effect of effects) {
      this.#observer?.({ kind: 'effect', effect });
      this.#execute(effect);
    }
  }

  /**
   * Runs an async effect; its result or failure comes back as an engine event (after its work
   * time). `afterDelivery` runs once that event has been handled.
   */
  #background(effect: Effect, work: () => Promise<EngineEvent>, onError: (reason: string, error: unknown) => EngineEvent, afterDelivery?: () => void): void {
    const delay = this.#init.workTime?.(effect) ?? 0;
    const deliver = (event: () => EngineEvent) => {
      const handle = () => {
        this.#dispatch(event());
        afterDelivery?.();
      };
      if (delay <= 0) handle();
      else this.#init.clock.setTimer(delay, handle);
    };
    const running = work().then(
      (event) => deliver(() => ({ ...event, now: this.#init.clock.now() })),
      (error: unknown) => deliver(() => onError(error instanceof Error ? error.message : String(error), error)),
    );
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  /**
   * The blob, from the store or pulled from its holders within `timeoutMs` (default:
   * `fetchTimeoutMs`) — of `expectedBytes` when the advert acted on gives its size (each holder
   * then has a deadline scaled to it, §6.6). A pulled blob is stored only once `check` (if given)
   * accepts it, so that nothing invalid is kept or served on.
   */
  async #blob(
    hash: Hash,
    holders: readonly string[],
    options: { readonly timeoutMs?: number; readonly expectedBytes?: number; readonly check?: (bytes: Uint8Array) => void } = {},
  ): Promise<Uint8Array> {
    const { store, transport, maxBlobBytes, clock } = this.#init;
    const held = await store.blobs.get(hash);
    if (held !== undefined) return held;
    const timeoutMs = options.timeoutMs ?? this.#init.fetchTimeoutMs;
    // On the runtime's clock, so that a simulated pull times out in virtual time.
    const timeout = new AbortController();
    const cancelTimeout = clock.setTimer(timeoutMs, () => timeout.abort(new Error(`the pull took longer than ${timeoutMs} ms`)));
    try {
      const signal = AbortSignal.any([this.#stopping.signal, timeout.signal]);
      const expected = options.expectedBytes !== undefined && options.expectedBytes > 0 && options.expectedBytes <= maxBlobBytes ? { expectedBytes: options.expectedBytes } : {};
      const bytes = await transport.fetch(hash, holders, { maxBytes: maxBlobBytes, signal, ...expected });
      options.check?.(bytes);
      await store.blobs.put(bytes);
      return bytes;
    } finally {
      cancelTimeout();
    }
  }

  /**
   * The version `hash` rebuilt from its patch when its base is held here, or undefined (then the
   * caller pulls it whole): a patch that cannot be pulled or applied, or that rebuilds other
   * bytes than the advertised hash, is logged and set aside. A patch that rebuilds exactly the
   * advertised version, which is invalid, throws InvalidVersionError (the version is at fault).
   */
  async #rebuiltFromPatch(hash: Hash, patch: VersionPatch, holders: readonly string[], check: (version: Uint8Array) => void): Promise<Uint8Array | undefined> {
    const { store, learner } = this.#init;
    const base = await store.blobs.get(patch.base);
    if (base === undefined) return undefined;
    try {
      const version = learner.applyPatch(base, await this.#blob(patch.hash, holders));
      const rebuilt = hashBytes(version);
      if (rebuilt !== hash) throw new Error(`it rebuilds ${rebuilt.slice(0, 12)}, not the advertised version`);
      check(version);
      await store.blobs.put(version);
      return version;
    } catch (error) {
      // Stopping: nothing to fall back to. An invalid version: pulling it whole gives the same bytes.
      if (this.#stopping.signal.aborted || error instanceof InvalidVersionError) throw error;
      this.#emit({ type: 'log', level: 'warn', message: `patch ${patch.hash.slice(0, 12)} for version ${hash.slice(0, 12)} unusable (${(error as Error).message}); pulling the whole version` });
      return undefined;
    }
  }

  /** Feeds the end of each straggler's background pull back to the engine (once the aggregation's own event is handled). */
  #reportLatePulls(round: number, late: readonly LatePull[]): void {
    for (const { peer, delta, outcome } of late) {
      const reported = outcome.then((ended) =>
        this.#dispatch({ type: 'late-delta', now: this.#init.clock.now(), round, peer, delta, ...(ended.arrived ? {} : { failure: ended.reason }) }),
      );
      this.#inFlight.add(reported);
      void reported.finally(() => this.#inFlight.delete(reported));
    }
  }

  #execute(effect: Effect): void {
    const { clock, transport, store, learner } = this.#init;
    const now = () => clock.now();
    switch (effect.type) {
      case 'publish':
        transport.publish(effect.advert).catch((error: unknown) => {
          this.#emit({ type: 'log', level: 'warn', message: `could not publish a ${effect.advert.kind} advert: ${(error as Error).message}` });
        });
        break;
      case 'train':
        this.#background(
          effect,
          async () => {
            const started = now();
            const base = await this.#blob(effect.base, []);
            const trained = await learner.train(base, effect.round, this.#stopping.signal);
            const delta = await store.blobs.put(trained.blob);
            this.#emit({ type: 'trained', round: effect.round, samples: trained.samples, seconds: (now() - started) / 1000 });
            return { type: 'trained', now: now(), round: effect.round, base: effect.base, delta, bytes: trained.blob.byteLength, samples: trained.samples, metrics: trained.metrics };
          },
          (reason) => ({ type: 'train-failed', now: now(), round: effect.round, base: effect.base, reason }),
        );
        break;
      case 'train-model':
        this.#background(
          effect,
          async () => {
            const started = now();
            const base = await this.#blob(effect.base, []);
            const trained = await learner.trainModel(base, effect.round, this.#stopping.signal);
            const version = await store.blobs.put(trained.blob);
            this.#emit({ type: 'trained', round: effect.round, samples: trained.samples, seconds: (now() - started) / 1000 });
            return { type: 'trained-model', now: now(), round: effect.round, base: effect.base, version, bytes: trained.blob.byteLength, samples: trained.samples };
          },
          (reason) => ({ type: 'train-failed', now: now(), round: effect.round, base: effect.base, reason }),
        );
        break;
      case 'aggregate': {
        let late: readonly LatePull[] = [];
        this.#background(
          effect,
          () =>
            aggregateDeltas(effect, this.#work, (pulls) => {
              late = pulls;
            }),
          (reason, error) => ({
            type: 'aggregate-failed',
            now: now(),
            round: effect.round,
            base: effect.base,
            reason,
            ...(error instanceof NoValidDeltaError ? { rejected: error.rejected } : {}),
          }),
          () => this.#reportLatePulls(effect.round, late),
        );
        break;
      }
      case 'merge':
        this.#background(
          effect,
          async () => {
            const leaves = await Promise.all(effect.leaves.map(async (leaf) => ({ blob: await this.#blob(leaf.hash, leaf.holders), samples: leaf.samples })));
            const blob = learner.merge(leaves, effect.round);
            const version = await store.blobs.put(blob);
            return { type: 'merged', now: now(), round: effect.round, parent: effect.parent, version, bytes: blob.byteLength, leaves: effect.leaves.map((l) => l.hash) };
          },
          (reason) => ({ type: 'merge-failed', now: now(), round: effect.round, leaves: effect.leaves.map((l) => l.hash), reason }),
        );
        break;
      case 'fetch-version':
        this.#background(
          effect,
          async () => {
            // Held already, else rebuilt from its patch, else pulled whole: checked in full once, a
            // rebuilt or pulled blob before it is stored.
            const check = (bytes: Uint8Array) => learner.checkVersion(bytes, effect.round);
            const held = await store.blobs.get(effect.hash);
            if (held !== undefined) check(held);
            else if (effect.patch === undefined || (await this.#rebuiltFromPatch(effect.hash, effect.patch, effect.holders, check)) === undefined) {
              await this.#blob(effect.hash, effect.holders, { check, ...(effect.bytes === undefined ? {} : { expectedBytes: effect.bytes }) });
            }
            return { type: 'fetched', now: now(), hash: effect.hash };
          },
          (reason, error) => ({ type: 'fetch-failed', now: now(), hash: effect.hash, reason, invalid: error instanceof InvalidVersionError }),
        );
        break;
      case 'audit':
        this.#background(
          effect,
          () => recomputeVersion(effect, this.#work),
          (reason) => ({ type: 'audited', now: now(), audit: effect.audit, failure: reason }),
        );
        break;
      case 'adopt': {
        // One after another, in adoption order: two writes in flight could leave the checkpoint
        // at the earlier round (seen after Ctrl-C: adopted 45 then 44, resumed at 44).
        const persisted = this.#persisting.then(() => this.#persist(effect.head)).then(
          () => this.#emit({ type: 'adopted', head: effect.head }),
          (error: unknown) => this.#emit({ type: 'log', level: 'warn', message: `could not checkpoint round ${effect.head.round}: ${(error as Error).message}` }),
        );
        this.#persisting = persisted;
        this.#inFlight.add(persisted);
        void persisted.finally(() => this.#inFlight.delete(persisted));
        break;
      }
      case 'set-timer':
        this.#timers.get(effect.timer)?.();
        this.#timers.set(
          effect.timer,
          clock.setTimer(effect.delayMs, () => {
            this.#timers.delete(effect.timer);
            this.#dispatch({ type: 'timer', now: now(), timer: effect.timer });
          }),
        );
        break;
      case 'cancel-timer':
        this.#timers.get(effect.timer)?.();
        this.#timers.delete(effect.timer);
        break;
      case 'log':
        this.#emit({ type: 'log', level: effect.level, message: effect.message });
        break;
      case 'convicted': {
        const recorded = store.convictions.add({ peer: effect.peer, reason: effect.reason, at: now() }).catch((error: unknown) => {
          this.#emit({ type: 'log', level: 'warn', message: `could not record the conviction of ${effect.peer}: ${(error as Error).message}` });
        });
        this.#inFlight.add(recorded);
        void recorded.finally(() => this.#inFlight.delete(recorded));
        break;
      }
      case 'finished':
        this.#emit({ type: 'finished', head: effect.head });
        break;
      default: {
        const unknown: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Stops timers and adverts, aborts pulls, waits for work in flight to settle. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#unsubscribe?.();
    await Promise.allSettled([...this.#inFlight]);
    await this.#init.transport.stop();
  }
}
