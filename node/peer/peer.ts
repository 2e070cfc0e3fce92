/**
 * One gossipfl peer taking part in one task: identity, libp2p host, the task's store, the
 * learner on local data, the libp2p transport and the round runtime, started together and
 * stopped together.
 */
import { join } from 'node:path';
import { subset, type Dataset } from '../learn/data/dataset.ts';
import { Rng } from '../learn/rng.ts';
import { createHost, type Host, type HostOptions } from '../host/host.ts';
import { loadOrCreateIdentity } from '../host/identity.ts';
import { systemClock, type Clock } from '../round/ports.ts';
import { openTaskStore, type TaskStore } from '../store/index.ts';
import type { TaskManifest } from '../task/manifest.ts';
import { AUDITORS_DEFAULT } from '../task/audit-section.ts';
import { TASK_DEFAULTS, taskDataSchema, taskModelSpec } from '../task/manifest.ts';
import { Learner } from './learner.ts';
import { RoundEngine } from '../round/engine.ts';
import { GossipEngine } from '../round/gossip-engine.ts';
import { PeerRuntime, type Engine, type PeerEvent } from './runtime.ts';
import { libp2pTransport } from './transport.ts';

export interface PeerOptions {
  /** Holds `identity.key` and `tasks/<id>/`. */
  readonly dataDir: string;
  readonly task: TaskManifest;
  readonly taskHash: string;
  /** Where the manifest was read from: a relative `layers` model path is resolved against it. */
  readonly taskPath: string;
  /** Local training data, already through the data gate. */
  readonly data: Dataset;
  readonly host?: Omit<HostOptions, 'privateKey'>;
  /** How often presence is announced. Default 2 s. */
  readonly presenceIntervalMs?: number;
  readonly clock?: Clock;
  readonly onEvent?: (peer: string, event: PeerEvent) => void;
  /** Start taking part in rounds at once (default), or only when `start()` is called. */
  readonly autoStart?: boolean;
}

export interface Peer {
  readonly id: string;
  readonly host: Host;
  readonly store: TaskStore;
  readonly learner: Learner;
  readonly runtime: PeerRuntime;
  /** Blob bytes this peer pulled and served. */
  readonly traffic: { fetched: number; served: number };
  /** Starts taking part in rounds (when created with `autoStart: false`); idempotent. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPeer(options: PeerOptions): Promise<Peer> {
  const { task } = options;
  const identity = await loadOrCreateIdentity(join(options.dataDir, 'identity.key'));
  const id = identity.peerId.toString();
  const emit = (event: PeerEvent) => options.onEvent?.(id, event);
  if (identity.warning !== undefined) emit({ type: 'log', level: 'warn', message: identity.warning });
  const schema = taskDataSchema(task);
  const { training, validation } = holdOutValidation(options.data, task, id);
  const learner = await Learner.create({
    task,
    model: taskModelSpec(task, options.taskPath),
    shape: { featureCount: schema.featureCount, classCount: schema.classes.length },
    data: training,
    ...(validation === undefined ? {} : { validation }),
    seed: `${task.id}/${id}`,
  });
  const cleanup: (() => Promise<void>)[] = [async () => learner.dispose()];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const store = await openTaskStore(options.dataDir, task.id, { onWarning: (message) => emit({ type: 'log', level: 'warn', message }) });
    cleanup.push(async () => store.close());
    const host = await createHost({ ...options.host, privateKey: identity.privateKey });
    cleanup.push(async () => host.stop());
    const traffic = { fetched: 0, served: 0 };
    let runtime: PeerRuntime | undefined;
    const transport = libp2pTransport(host, task.id, {
      privateKey: identity.privateKey,
      maxBlobBytes: task.timing.maxBlobBytes,
      currentRound: () => runtime?.engine.round ?? 0,
      log: (message) => emit({ type: 'log', level: 'info', message }),
      onBytes: (direction, bytes) => {
        traffic[direction] += bytes;
      },
    });
    runtime = new PeerRuntime({
      engine: createEngine(task, id, options.presenceIntervalMs ?? 2000),
      taskHash: options.taskHash,
      transport,
      clock: options.clock ?? systemClock,
      store,
      learner,
      maxBlobBytes: task.timing.maxBlobBytes,
      fetchTimeoutMs: task.timing.curatorDeadlineMs,
      onEvent: emit,
    });
    cleanup.push(() => runtime!.stop());
    let started: Promise<unknown> | undefined;
    const start = async () => {
      started ??= runtime!.start();
      await started;
    };
    if (options.autoStart ?? true) await start();
    return { id, host, store, learner, runtime, traffic, start, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Share of local data a peer holds out to validate the versions it curates, when the task stops at a target accuracy. */
export const VALIDATION_FRACTION = 0.1;

/**
 * A task that stops at a target accuracy needs curators to measure versions: each peer holds out
 * a fixed, seeded 10% of its local data (at least one row, and only when it has two or more).
 */
function holdOutValidation(data: Dataset, task: TaskManifest, peer: string): { training: Dataset; validation?: Dataset } {
  if (task.stopping.targetAccuracy === undefined || data.size < 2) return { training: data };
  const order = new Rng(`${task.id}/${peer}/validation`).permutation(data.size);
  const held = Math.max(1, Math.round(data.size * VALIDATION_FRACTION));
  return {
    training: subset(data, order.slice(held), `${data.name} (training)`),
    validation: subset(data, order.slice(0, held), `${data.name} (validation)`),
  };
}

/** The task's round engine: curator mode, or gossip mode with the collection window as the gossip period. */
export function createEngine(task: TaskManifest, self: string, presenceIntervalMs: number): Engine {
  const peerTimeoutMs = presenceIntervalMs * 3;
  const maxRounds = task.stopping.rounds === undefined ? {} : { maxRounds: task.stopping.rounds };
  switch (task.mode) {
    case 'curator':
      return new RoundEngine({
        self,
        task: task.id,
        cohortFraction: task.cohort.fraction,
        minPeers: task.cohort.minPeers,
        collectionWindowMs: task.timing.collectionWindowMs,
        curatorDeadlineMs: task.timing.curatorDeadlineMs,
        presenceIntervalMs,
        peerTimeoutMs,
        ...maxRounds,
        ...(task.stopping.targetAccuracy === undefined ? {} : { targetAccuracy: task.stopping.targetAccuracy }),
        auditors: task.audit?.auditors ?? AUDITORS_DEFAULT,
      });
    case 'gossip':
      return new GossipEngine({
        self,
        task: task.id,
        gossipIntervalMs: task.timing.collectionWindowMs,
        neighbours: task.gossip?.neighbours ?? TASK_DEFAULTS.gossipNeighbours,
        presenceIntervalMs,
        peerTimeoutMs,
        ...maxRounds,
      });
    default: {
      const unknown: never = task.mode;
      throw new Error(`unknown task mode ${String(unknown)}`);
    }
  }
}
