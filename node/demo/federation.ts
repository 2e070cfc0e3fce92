/**
 * The demo federation: N real peers in this process, each a libp2p host on loopback TCP with
 * noise, each training on its own Dirichlet share of the built-in MNIST digits, electing
 * curators round by round. An observer (not a peer: it only reads what peers adopt) evaluates
 * every round's version on the 2,000 held-out test digits and reports it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { subset } from '../learn/data/dataset.ts';
import { MNIST_CLASSES, MNIST_FEATURES, mnistSplit } from '../learn/data/mnist.ts';
import { partition } from '../learn/data/partition.ts';
import { advertTopic } from '../../protocols/adverts/index.ts';
import { GossipflError } from '../errors.ts';
import { waitForSubscribers } from '../host/wait.ts';
import { Learner } from '../peer/learner.ts';
import { startPeer, type Peer } from '../peer/peer.ts';
import type { PeerEvent } from '../peer/runtime.ts';
import type { Head } from '../round/events.ts';
import type { VersionRecord } from '../store/index.ts';
import { validateTaskManifest, type TaskManifest } from '../task/manifest.ts';
import { taskHash } from '../task/signing.ts';

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
  readonly shardSizes: readonly number[];
  readonly rounds: readonly DemoRound[];
  readonly final: Head | undefined;
  /** The final version's blob and a learner to turn it into a model. */
  readonly finalBlob: Uint8Array | undefined;
  readonly judge: Learner;
  readonly stoppedBy: 'target' | 'rounds' | 'interrupted';
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

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { train, test } = await mnistSplit();
  const task = demoTask(options.maxRounds, options.seed);
  const shares = partition({ kind: 'dirichlet', alpha: options.alpha }, train.labels, MNIST_CLASSES, options.peers, options.seed);
  const shards = shares.map((rows, i) => subset(train, rows, `peer ${i}`));
  const judge = await Learner.create({ task, model: { kind: 'preset', preset: 'mlp' }, shape: { featureCount: MNIST_FEATURES, classCount: MNIST_CLASSES }, data: test, seed: 'judge' });

  const adopted = new Map<string, number>();
  const heads = new Map<number, Head>();
  const peers: Peer[] = [];
  let settle: (() => void) | undefined;
  const onEvent = (peer: string, event: PeerEvent) => {
    if (event.type === 'adopted') {
      adopted.set(peer, Math.max(adopted.get(peer) ?? 0, event.head.round));
      heads.set(event.head.round, event.head);
      settle?.();
    } else if (event.type === 'log' && !event.message.startsWith('adverts ')) {
      options.onLog?.(peer, event.level, event.message);
    } else if (event.type === 'rejected') {
      options.onLog?.(peer, 'warn', `rejected a delta from ${event.peer} in round ${event.round}: ${event.reason}`);
    }
  };
  const started = performance.now();
  const rounds: DemoRound[] = [];
  let stoppedBy: DemoResult['stoppedBy'] = 'rounds';
  try {
    for (let i = 0; i < options.peers; i++) {
      const bootstrap = peers.map((peer) => peer.host.getMultiaddrs()[0]!.toString());
      const dataDir = join(options.dir, `peer-${i}`);
      await mkdir(dataDir, { recursive: true });
      peers.push(
        await startPeer({
          dataDir,
          task,
          taskHash: taskHash(task),
          taskPath: join(options.dir, 'task.yaml'),
          data: shards[i]!,
          host: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
          presenceIntervalMs: 1000,
          onEvent,
          autoStart: false,
        }),
      );
    }
    // Every peer connected to every other and subscribed to the task's topic, then all start.
    const topic = advertTopic(task.id);
    await Promise.all(peers.map((peer) => waitForSubscribers(peer.host.services.pubsub, topic, options.peers - 1, AbortSignal.timeout(30_000))));
    await Promise.all(peers.map((peer) => peer.start()));
    options.onStarted?.(peers.map((peer) => peer.id), shards.map((shard) => shard.size));
    let bytesBefore = 0;
    for (let round = 1; round <= options.maxRounds; round++) {
      // Wait until every peer has adopted this round (or the user stops us, or it stalls).
      const deadline = Date.now() + ROUND_STALL_MS;
      while (!options.signal.aborted && Math.min(...peers.map((peer) => adopted.get(peer.id) ?? 0)) < round) {
        const waited = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
          settle = () => {
            clearTimeout(timer);
            resolve(true);
          };
          options.signal.addEventListener('abort', () => settle?.(), { once: true });
        });
        settle = undefined;
        if (!waited) throw new DemoStalledError(`round ${round} did not complete on every peer within ${ROUND_STALL_MS / 1000} s`);
      }
      if (options.signal.aborted) {
        stoppedBy = 'interrupted';
        break;
      }
      const head = heads.get(round)!;
      const blob = (await peers[0]!.store.blobs.get(head.hash))!;
      const { accuracy, loss } = judge.evaluate(blob, test);
      const bytesNow = peers.reduce((sum, peer) => sum + peer.traffic.fetched, 0);
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
      if (accuracy >= options.target) {
        stoppedBy = 'target';
        break;
      }
    }
    const final = rounds.at(-1)?.head;
    const finalBlob = final === undefined ? undefined : await peers[0]!.store.blobs.get(final.hash);
    const history = final === undefined ? [] : (await peers[0]!.store.versions.history(final.hash)).versions;
    return { task, peers: peers.map((peer) => peer.id), shardSizes: shards.map((s) => s.size), rounds, final, finalBlob, judge, stoppedBy, history };
  } catch (error) {
    judge.dispose();
    throw error;
  } finally {
    await Promise.allSettled(peers.map((peer) => peer.stop()));
  }
}
