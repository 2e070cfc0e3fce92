/**
 * One bench agent: a worker thread or a child process hosting one or more libp2p nodes in its
 * one thread — real gossipfl peers (startPeer) or idle hosts (createHost, no learning) — driven
 * by bench/federation.ts over messages. It reports timestamped marks of what its peers do
 * (trained, delta heard, aggregation decided/pulled/done, version heard/pulled, adopted) and its
 * memory use. Peer modules (TF.js) are loaded only by agents hosting peers.
 */
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { advertTopic } from '../protocols/adverts/index.ts';
import { createHost, type Host } from '../node/host/host.ts';
import { waitForSubscribers } from '../node/host/wait.ts';
import { MNIST_CLASSES, MNIST_FEATURES } from '../node/learn/data/mnist.ts';
import type { PeerEvent, RuntimeTrace } from '../node/peer/runtime.ts';
import type { AgentMemory, FromAgent, MarkBody, ToAgent } from './federation.ts';

type Send = (message: FromAgent) => void;

const send: Send =
  parentPort !== null
    ? (message) => parentPort!.postMessage(message)
    : (message) => {
        process.send?.(message);
      };

/** Milliseconds on a clock shared by the threads and processes of one machine. */
const now = (): number => performance.timeOrigin + performance.now();

interface Node {
  readonly host: Host;
  readonly index: number;
  start(total: number): Promise<void>;
  stop(): Promise<void>;
}

let nodes: Node[] = [];

/** Node `index` (< 255) always gets the same key, so elections are the same on every run. */
function seededKey(index: number) {
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(index + 1));
}

async function idleNode(index: number): Promise<Node> {
  const host = await createHost({ privateKey: await seededKey(index), listen: ['/ip4/127.0.0.1/tcp/0'] });
  return {
    host,
    index,
    start: async () => {},
    stop: async () => {
      await host.stop();
    },
  };
}

type InitMessage = Extract<ToAgent, { type: 'init'; kind: 'peer' }>;

async function peerNodes(message: InitMessage): Promise<Node[]> {
  const [{ selectBackend }, { makeDataset }, { startPeer }] = await Promise.all([
    import('../node/learn/backend.ts'),
    import('../node/learn/data/dataset.ts'),
    import('../node/peer/peer.ts'),
  ]);
  await selectBackend();
  const started: Node[] = [];
  for (const [offset, shard] of message.shards.entries()) {
    const index = message.first + offset;
    const dataDir = join(message.dir, `peer-${index}`);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'identity.key'), privateKeyToProtobuf(await seededKey(index)), { mode: 0o600 });
    const marks = peerMarks(index, message.trace);
    const peer = await startPeer({
      dataDir,
      task: message.task,
      taskHash: message.taskHash,
      taskPath: dataDir,
      data: makeDataset({
        name: `peer ${index}`,
        size: shard.labels.length,
        featureCount: MNIST_FEATURES,
        classCount: MNIST_CLASSES,
        features: shard.features,
        labels: shard.labels,
      }),
      host: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      ...(message.presenceIntervalMs === undefined ? {} : { presenceIntervalMs: message.presenceIntervalMs }),
      autoStart: false,
      onEvent: (_, event) => marks.onEvent(event),
    });
    marks.self = peer.id;
    if (message.trace) peer.runtime.observe((trace) => marks.onTrace(trace));
    started.push({
      host: peer.host,
      index,
      async start(total) {
        await waitForSubscribers(peer.host.services.pubsub, advertTopic(message.task.id), total - 1, AbortSignal.timeout(60_000));
        await peer.start();
      },
      stop: () => peer.stop(),
    });
  }
  return started;
}

/** Turns one peer's events and runtime trace into marks for the parent. */
function peerMarks(peer: number, trace: boolean): { self: string; onEvent(event: PeerEvent): void; onTrace(trace: RuntimeTrace): void } {
  const mark = (body: MarkBody): void => send({ type: 'mark', mark: { peer, at: now(), ...body } });
  /** When each delta of a round reached this peer, by sender (its own: when it was trained). */
  const heard = new Map<number, Map<string, number>>();
  const heardIn = (round: number): Map<string, number> => {
    let map = heard.get(round);
    if (map === undefined) heard.set(round, (map = new Map()));
    return map;
  };
  const versionRound = new Map<string, number>();
  return {
    self: '',
    onEvent(event) {
      if (event.type === 'trained') {
        heardIn(event.round).set(this.self, now());
        if (trace) mark({ what: 'trained', round: event.round, seconds: event.seconds });
      } else if (event.type === 'adopted') {
        const { head } = event;
        mark({ what: 'adopted', round: head.round, version: head.hash, contributors: head.contributors.length, merged: head.merged.length });
      } else if (event.type === 'log' && event.level === 'warn') {
        send({ type: 'warning', peer, message: event.message });
      }
    },
    onTrace(t) {
      if (t.kind === 'pulled') {
        mark({ what: 'pulled', round: t.round });
      } else if (t.kind === 'effect' && t.effect.type === 'aggregate') {
        const { round } = t.effect;
        mark({ what: 'decided', round, heard: Object.fromEntries(heardIn(round)), deltas: t.effect.deltas.length });
        for (const old of heard.keys()) if (old <= round) heard.delete(old);
      } else if (t.kind === 'event') {
        const { event } = t;
        if (event.type === 'aggregated') mark({ what: 'aggregated', round: event.round, version: event.version });
        else if (event.type === 'fetched') {
          const round = versionRound.get(event.hash);
          if (round !== undefined) mark({ what: 'fetched', round });
        } else if (event.type === 'advert' && event.advert.kind === 'delta') {
          const byRound = heardIn(event.advert.round);
          if (!byRound.has(event.from)) byRound.set(event.from, now());
        } else if (event.type === 'advert' && event.advert.kind === 'version' && !versionRound.has(event.advert.hash)) {
          versionRound.set(event.advert.hash, event.advert.round);
          mark({ what: 'version-heard', round: event.advert.round });
        }
      }
    },
  };
}

/** RSS now and at its peak, and the V8 heap, after two full collections when gc is exposed. */
async function memory(): Promise<AgentMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2 && gc !== undefined; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const usage = process.memoryUsage();
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return {
    rss: usage.rss,
    peakRss: peak === undefined ? usage.rss : Number(peak) * 1024,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  };
}

async function handle(message: ToAgent): Promise<void> {
  switch (message.type) {
    case 'init':
      nodes = message.kind === 'peer' ? await peerNodes(message) : await Promise.all(Array.from({ length: message.count }, (_, i) => idleNode(message.first + i)));
      send({ type: 'ready', ids: nodes.map((node) => node.host.peerId.toString()), addresses: nodes.map((node) => node.host.getMultiaddrs()[0]!.toString()) });
      break;
    case 'connect':
      // Each node dials every node after it, one at a time (hundreds of noise handshakes at once
      // on two cores run past the dial timeout): every pair connected once.
      await Promise.all(
        nodes.map(async (node) => {
          for (const address of message.addresses.slice(node.index + 1)) await node.host.dial(multiaddr(address), { signal: AbortSignal.timeout(60_000) });
        }),
      );
      send({ type: 'connected' });
      break;
    case 'start':
      await Promise.all(nodes.map((node) => node.start(message.total)));
      send({ type: 'started' });
      break;
    case 'memory':
      send({ type: 'memory', memory: await memory() });
      break;
    case 'stop':
      await Promise.allSettled(nodes.map((node) => node.stop()));
      nodes = [];
      send({ type: 'stopped' });
      if (parentPort !== null) parentPort.close();
      else process.disconnect?.();
      break;
    default: {
      const unknown: never = message;
      throw new Error(`unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

const onMessage = (message: ToAgent): void => {
  handle(message).catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
};
if (parentPort !== null) parentPort.on('message', onMessage);
else process.on('message', onMessage);
