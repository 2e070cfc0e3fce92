/**
 * Starting small federations of real peers on loopback for tests: real libp2p hosts, real
 * TF.js training on real MNIST digits, real stores in temporary folders.
 */
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../node/learn/backend.ts';
import { subset, type Dataset } from '../../node/learn/data/dataset.ts';
import { mnistSplit } from '../../node/learn/data/mnist.ts';
import { partition } from '../../node/learn/data/partition.ts';
import { startPeer, type Peer, type PeerOptions } from '../../node/peer/peer.ts';
import type { PeerEvent } from '../../node/peer/runtime.ts';
import { validateTaskManifest, type TaskManifest } from '../../node/task/manifest.ts';
import { taskHash } from '../../node/task/signing.ts';

export function testTask(overrides: Record<string, unknown> = {}): TaskManifest {
  return validateTaskManifest(
    {
      version: 1,
      id: 'test-mnist',
      model: { preset: 'mlp', seed: 1 },
      data: { builtin: 'mnist' },
      training: { epochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.003 },
      stopping: { rounds: 50 },
      cohort: { fraction: 1, minPeers: 2 },
      aggregation: { strategy: 'fedavg' },
      timing: { collectionWindowMs: 20_000, curatorDeadlineMs: 30_000, maxBlobBytes: 16 * 1024 * 1024 },
      encoding: 'int8',
      mode: 'curator',
      ...overrides,
    },
    'test task',
  );
}

export interface TestFederation {
  readonly dir: string;
  readonly peers: Peer[];
  readonly events: { peer: string; event: PeerEvent }[];
  readonly shards: Dataset[];
  readonly test: Dataset;
  readonly task: TaskManifest;
  /**
   * Starts peer `index` (again), connected to every running peer. Its data folder and identity
   * are the same on every start, so starting a stopped peer again is a restart. With
   * `autoStart: false` the peer does not take part in rounds until its `start()` is called.
   */
  start(index: number, options?: { readonly autoStart?: boolean }): Promise<Peer>;
  /** Stops running peer `index` and forgets it (its data folder stays, for a restart). */
  stop(index: number): Promise<void>;
  /** Running peer `index`, if started. */
  peer(index: number): Peer | undefined;
  /** Where peer `index` keeps its identity and stores. */
  dataDir(index: number): string;
  /** The highest round every running peer has adopted and checkpointed. */
  commonRound(): number;
  close(): Promise<void>;
}

/** `count` peer slots with IID shards of `perPeer` MNIST training digits each; none started yet. */
export async function testFederation(count: number, perPeer: number, task = testTask()): Promise<TestFederation> {
  await selectBackend();
  const { train, test } = await mnistSplit();
  const rows = train.labels.subarray(0, count * perPeer);
  const shards = partition({ kind: 'iid' }, rows, 10, count, 7).map((part, i) => subset(train, part, `peer ${i}`));
  const dir = await mkdtemp(join(tmpdir(), 'gossipfl-federation-'));
  const events: { peer: string; event: PeerEvent }[] = [];
  const running = new Map<number, Peer>();
  const federation: TestFederation = {
    dir,
    events,
    shards,
    test,
    task,
    get peers() {
      return [...running.values()];
    },
    async start(index, startOptions = {}) {
      await writeSeededIdentity(join(dir, `peer-${index}`), index);
      const bootstrap = [...running.values()].map((peer) => `${peer.host.getMultiaddrs()[0]!.toString()}`);
      const options: PeerOptions = {
        dataDir: join(dir, `peer-${index}`),
        task,
        taskHash: taskHash(task),
        taskPath: join(dir, 'task.yaml'),
        data: shards[index]!,
        host: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
        presenceIntervalMs: 300,
        onEvent: (peer, event) => events.push({ peer, event }),
        ...(startOptions.autoStart === undefined ? {} : { autoStart: startOptions.autoStart }),
      };
      const peer = await startPeer(options);
      running.set(index, peer);
      return peer;
    },
    async stop(index) {
      const peer = running.get(index);
      running.delete(index);
      await peer?.stop();
    },
    peer(index) {
      return running.get(index);
    },
    dataDir(index) {
      return join(dir, `peer-${index}`);
    },
    commonRound() {
      const adopted = new Map<string, number>();
      for (const { peer, event } of events) if (event.type === 'adopted') adopted.set(peer, Math.max(adopted.get(peer) ?? 0, event.head.round));
      return Math.min(...[...running.values()].map((peer) => adopted.get(peer.id) ?? 0));
    },
    async close() {
      await Promise.allSettled([...running.values()].map((peer) => peer.stop()));
      running.clear();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return federation;
}

/** Resolves once `condition` holds, checking after every peer event; rejects at the deadline. */
export function waitFor(federation: TestFederation, condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        const tail = federation.events.slice(-15).map(({ peer, event }) => `${peer.slice(-6)} ${JSON.stringify(event).slice(0, 200)}`).join('\n');
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last events:\n${tail}`));
      }
    }, 50);
  });
}

/** Peer `index`'s key: always the same, so elections in tests are the same on every run. */
export function seededKey(index: number): Promise<PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(index + 1));
}

async function writeSeededIdentity(dataDir: string, index: number): Promise<void> {
  const key = await seededKey(index);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(join(dataDir, 'identity.key'), privateKeyToProtobuf(key), { mode: 0o600, flag: 'w' });
}
