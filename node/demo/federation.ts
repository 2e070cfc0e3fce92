/**
 * The demo federation: N real peers, each in its own worker thread (so they train in parallel
 * on every core), each a libp2p host on loopback TCP with noise, each training on its own
 * Dirichlet share of the built-in MNIST digits, electing curators round by round. An observer
 * on the main thread (not a peer: it only hears what peers adopt) evaluates every round's
 * version on the 2,000 held-out test digits and reports it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { subset } from '../learn/data/dataset.ts';
import { MNIST_CLASSES, MNIST_FEATURES, mnistSplit } from '../learn/data/mnist.ts';
import { partition } from '../learn/data/partition.ts';
import { Worker } from 'node:worker_threads';
import { GossipflError } from '../errors.ts';
import { Learner } from '../peer/learner.ts';
import type { Head } from '../round/events.ts';
import type { VersionRecord } from '../store/index.ts';
import { validateTaskManifest, type TaskManifest } from '../task/manifest.ts';
import { taskHash } from '../task/signing.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

/** A round that has not completed everywhere after this long means something is broken. */
const ROUND_STALL_MS = 120_000;

export class DemoStalledError extends GossipflError {
  override name = 'DemoStalledError';
}

export interface DemoOptions {
  readonly dir: string;
  readonly peers: number;
  readonly alpha: number;
  readonly maxRounds: number;
  readonly target: number;
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly onRound: (round: DemoRound) => void;
  readonly onLog?: (peer: string, level: 'info' | 'warn', message: string) => void;
  /** Called once every peer is up, with their ids and data sizes. */
  readonly onStarted?: (peers: readonly string[], shardSizes: readonly number[]) => void;
}

export interface DemoRound {
  readonly round: number;
  /** Seconds since the federation started. */
  readonly seconds: number;
  readonly head: Head;
  readonly samples: number;
  readonly accuracy: number;
  readonly loss: number;
  /** Blob bytes pulled by all peers while this round was being completed. */
  readonly bytes: number;
}

export interface DemoResult {
  readonly task: TaskManifest;
  readonly peers: readonly string[];
  readonly rounds: readonly DemoRound[];
  /** The last round's version blob, and a learner to turn it into a model. */
  readonly finalBlob: Uint8Array | undefined;
  readonly judge: Learner;
  /** Peers' provenance records of the final chain, newest first. */
  readonly history: readonly VersionRecord[];
}

export function demoTask(maxRounds: number, seed: number): TaskManifest {
  return validateTaskManifest(
    {
      version: 1,
      id: 'mnist-demo',
      description: 'The npm start demo: MNIST 2NN over N peers with Dirichlet label skew',
      model: { preset: 'mlp', seed },
      data: { builtin: 'mnist' },
      training: { epochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.003 },
      // The observer measures every version on the test digits and stops the demo at the target;
      // peers hold no validation data of their own here.
      stopping: { rounds: maxRounds },
      cohort: { fraction: 1, minPeers: 2 },
      aggregation: { strategy: 'fedavg' },
      timing: { collectionWindowMs: 30_000, curatorDeadlineMs: 40_000, maxBlobBytes: 16 * 1024 * 1024 },
      encoding: 'int8',
      mode: 'curator',
    },
    'demo task',
  );
}

/** One peer in its worker thread, seen from the main thread. */
class PeerWorker {
  readonly worker: Worker;
  id = '';
  address = '';
  fetched = 0;
  readonly #waiting = new Map<FromWorker['type'], (message: FromWorker) => void>();
  #failure: Error | undefined;

  constructor(onEvent: (worker: PeerWorker, message: Extract<FromWorker, { type: 'event' }>) => void) {
    this.worker = new Worker(new URL('./peer-worker.ts', import.meta.url));
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'event') {
        this.fetched = message.fetched;
        onEvent(this, message);
        return;
      }
      if (message.type === 'failed') this.#failure = new DemoStalledError(`a peer worker failed: ${message.message}`);
      const waiter = this.#waiting.get(message.type) ?? (message.type === 'failed' ? [...this.#waiting.values()][0] : undefined);
      waiter?.(message);
    });
    this.worker.on('error', (error) => {
      this.#failure = error;
      for (const waiter of this.#waiting.values()) waiter({ type: 'failed', message: error.message });
    });
  }

  /** Sends a message and resolves with the reply of the given type (rejects if the worker fails). */
  request<T extends FromWorker['type']>(message: ToWorker, reply: T, transfer: ArrayBuffer[] = []): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      this.#waiting.set(reply, (answer) => {
        this.#waiting.delete(reply);
        if (answer.type === 'failed') reject(this.#failure ?? new DemoStalledError(answer.message));
        else resolve(answer as Extract<FromWorker, { type: T }>);
      });
      this.worker.postMessage(message, transfer);
    });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.request({ type: 'stop' }, 'stopped'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    } catch {
      // already failed: terminate below
    }
    await this.worker.terminate();
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { train, test } = await mnistSplit();
  const task = demoTask(options.maxRounds, options.seed);
  const shares = partition({ kind: 'dirichlet', alpha: options.alpha }, train.labels, MNIST_CLASSES, options.peers, options.seed);
  const judge = await Learner.create({ task, model: { kind: 'preset', preset: 'mlp' }, shape: { featureCount: MNIST_FEATURES, classCount: MNIST_CLASSES }, data: test, seed: 'judge' });

  const adopted = new Map<string, number>();
  const heads = new Map<number, { head: Head; blob: Uint8Array }>();
  let settle: (() => void) | undefined;
  const onEvent = (worker: PeerWorker, { event, blob }: Extract<FromWorker, { type: 'event' }>) => {
    if (event.type === 'adopted') {
      adopted.set(worker.id, Math.max(adopted.get(worker.id) ?? 0, event.head.round));
      if (blob !== undefined) heads.set(event.head.round, { head: event.head, blob });
      settle?.();
    } else if (event.type === 'log' && !event.message.startsWith('adverts ')) {
      options.onLog?.(worker.id, event.level, event.message);
    } else if (event.type === 'rejected') {
      options.onLog?.(worker.id, 'warn', `rejected a delta from ${event.peer} in round ${event.round}: ${event.reason}`);
    }
  };
  const started = performance.now();
  const rounds: DemoRound[] = [];
  const workers: PeerWorker[] = [];
  // Ctrl-C wakes the wait for the next round.
  const wake = () => settle?.();
  options.signal.addEventListener('abort', wake);
  try {
    // All peers start at once; then each dials those after it, so that every pair is connected.
    workers.push(...shares.map(() => new PeerWorker(onEvent)));
    await Promise.all(
      workers.map(async (worker, i) => {
        const dataDir = join(options.dir, `peer-${i}`);
        await mkdir(dataDir, { recursive: true });
        const { features, labels } = subset(train, shares[i]!);
        const ready = await worker.request(
          { type: 'init', index: i, peers: options.peers, dataDir, task, taskHash: taskHash(task), features, labels, presenceIntervalMs: 1000, sendHeads: i === 0 },
          'ready',
          [features.buffer as ArrayBuffer, labels.buffer as ArrayBuffer],
        );
        worker.id = ready.id;
        worker.address = ready.address;
      }),
    );
    await Promise.all(workers.map((worker, i) => worker.request({ type: 'connect', addresses: workers.slice(i + 1).map((w) => w.address) }, 'connected')));
    // Every peer connected to every other and subscribed to the task's topic, then all start.
    await Promise.all(workers.map((worker) => worker.request({ type: 'start' }, 'started')));
    options.onStarted?.(workers.map((worker) => worker.id), shares.map((rows) => rows.length));
    let bytesBefore = 0;
    for (let round = 1; round <= options.maxRounds; round++) {
      // Wait until every peer has adopted this round (or the user stops us, or it stalls).
      const deadline = Date.now() + ROUND_STALL_MS;
      const done = () => heads.has(round) && Math.min(...workers.map((worker) => adopted.get(worker.id) ?? 0)) >= round;
      while (!options.signal.aborted && !done()) {
        const waited = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
          settle = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        settle = undefined;
        if (!waited) throw new DemoStalledError(`round ${round} did not complete on every peer within ${ROUND_STALL_MS / 1000} s`);
      }
      if (options.signal.aborted) break;
      const { head, blob } = heads.get(round)!;
      const { accuracy, loss } = judge.evaluate(blob, test);
      const bytesNow = workers.reduce((sum, worker) => sum + worker.fetched, 0);
      const report: DemoRound = {
        round,
        seconds: (performance.now() - started) / 1000,
        head,
        samples: head.contributors.reduce((sum, c) => sum + c.samples, 0),
        accuracy,
        loss,
        bytes: bytesNow - bytesBefore,
      };
      bytesBefore = bytesNow;
      rounds.push(report);
      options.onRound(report);
      if (accuracy >= options.target) break;
    }
    const last = rounds.at(-1);
    const history = last === undefined ? [] : (await workers[0]!.request({ type: 'history', head: last.head.hash }, 'history')).versions;
    return {
      task,
      peers: workers.map((worker) => worker.id),
      rounds,
      finalBlob: last === undefined ? undefined : heads.get(last.round)?.blob,
      judge,
      history,
    };
  } catch (error) {
    judge.dispose();
    throw error;
  } finally {
    options.signal.removeEventListener('abort', wake);
    await Promise.allSettled(workers.map((worker) => worker.stop()));
  }
}
