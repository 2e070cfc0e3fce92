/**
 * One demo peer in its own worker thread, so that peers train in parallel on every core.
 * It is a complete peer (libp2p host, store, learner, runtime); the main thread only starts and
 * stops it and hears its events.
 */
import { parentPort } from 'node:worker_threads';
import { multiaddr } from '@multiformats/multiaddr';
import { advertTopic } from '../../protocols/adverts/index.ts';
import { waitForSubscribers } from '../host/wait.ts';
import { selectBackend } from '../learn/backend.ts';
import { makeDataset } from '../learn/data/dataset.ts';
import { MNIST_CLASSES, MNIST_FEATURES } from '../learn/data/mnist.ts';
import { startPeer, type Peer } from '../peer/peer.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
let peer: Peer | undefined;
let peerCount = 0;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  await selectBackend();
  peerCount = message.peers;
  const started = await startPeer({
    dataDir: message.dataDir,
    task: message.task,
    taskHash: message.taskHash,
    taskPath: message.dataDir,
    data: makeDataset({
      name: `peer ${message.index}`,
      size: message.labels.length,
      featureCount: MNIST_FEATURES,
      classCount: MNIST_CLASSES,
      features: message.features,
      labels: message.labels,
    }),
    host: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    presenceIntervalMs: message.presenceIntervalMs,
    autoStart: false,
    onEvent: (_, event) => {
      if (event.type === 'adopted' && message.sendHeads) {
        void started.store.blobs.get(event.head.hash).then((blob) => {
          send({ type: 'event', event, fetched: started.traffic.fetched, ...(blob === undefined ? {} : { blob }) });
        });
        return;
      }
      send({ type: 'event', event, fetched: peer?.traffic.fetched ?? 0 });
    },
  });
  peer = started;
  send({ type: 'ready', id: started.id, address: started.host.getMultiaddrs()[0]!.toString() });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init':
      await init(message);
      break;
    case 'connect':
      await Promise.all(message.addresses.map((address) => peer!.host.dial(multiaddr(address), { signal: AbortSignal.timeout(30_000) })));
      send({ type: 'connected' });
      break;
    case 'start':
      await waitForSubscribers(peer!.host.services.pubsub, advertTopic(peer!.store.taskId), peerCount - 1, AbortSignal.timeout(30_000));
      await peer!.start();
      send({ type: 'started' });
      break;
    case 'history':
      send({ type: 'history', versions: (await peer!.store.versions.history(message.head)).versions });
      break;
    case 'stop':
      await peer?.stop();
      peer = undefined;
      send({ type: 'stopped' });
      port.close();
      break;
    default: {
      const unknown: never = message;
      throw new Error(`unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
});
