/**
 * Simulator scale: wall time of (1) 1,000 peers training the MNIST `mlp` for 50 rounds on the
 * real round engine (one shared TF.js model), (2) 10,000 protocol-only peers in gossip mode on
 * a random 7-regular overlay, (3) 2,000 protocol-only peers in curator mode, 1% cohort (every peer hears
 * every peer: N² deliveries per presence interval — the reason it is not 10,000, see
 * BENCHMARKS.md). Absolute figures: there is no baseline simulator to run beside it.
 */
import { selectBackend } from '../node/learn/backend.ts';
import { subset } from '../node/learn/data/dataset.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { partition } from '../node/learn/data/partition.ts';
import { validateTaskManifest, type TaskManifest } from '../node/task/manifest.ts';
import { simulate, type SimRunOptions } from '../sim/run.ts';
import { buildTopology } from '../sim/topology/spec.ts';
import { round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const GOAL_SECONDS = 600;

function task(overrides: Record<string, unknown>): TaskManifest {
  return validateTaskManifest(
    {
      version: 1,
      id: 'scale-bench',
      model: { preset: 'mlp', seed: 1 },
      data: { builtin: 'mnist' },
      // McMahan et al.'s 2NN setting: C = 0.1, E = 1, B = 10.
      training: { epochs: 1, batchSize: 10, optimizer: 'sgd', learningRate: 0.1 },
      cohort: { fraction: 0.1, minPeers: 2 },
      aggregation: { strategy: 'fedavg' },
      timing: { collectionWindowMs: 10_000, curatorDeadlineMs: 20_000, maxBlobBytes: 16 * 1024 * 1024 },
      encoding: 'int8',
      mode: 'curator',
      ...overrides,
    },
    'scale bench task',
  );
}

interface Case {
  readonly name: string;
  readonly peers: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly events: number;
  readonly messages: number;
  readonly eventsPerSecond: number;
  readonly messagesPerSecond: number;
  readonly virtualSeconds: number;
  readonly maxRssMiB: number;
  readonly finalAccuracy?: number;
}

async function measure(name: string, options: SimRunOptions, log: (line: string) => void): Promise<Case> {
  const started = performance.now();
  const run = await simulate({
    ...options,
    onRound: (r) => log(`${name}: round ${r.round} at ${((performance.now() - started) / 1000).toFixed(1)} s${Number.isNaN(r.accuracy) ? '' : `, accuracy ${r.accuracy.toFixed(3)}`}`),
  });
  const seconds = (performance.now() - started) / 1000;
  const last = run.rounds.at(-1);
  const peers = 'protocolOnly' in options ? options.protocolOnly.peers : options.shards.length;
  const messages = last?.messages ?? 0;
  return {
    name,
    peers,
    rounds: run.rounds.length,
    seconds: round(seconds, 1),
    events: run.events,
    messages,
    eventsPerSecond: Math.round(run.events / seconds),
    messagesPerSecond: Math.round(messages / seconds),
    virtualSeconds: round(run.virtualMs / 1000, 1),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(last === undefined || Number.isNaN(last.accuracy) ? {} : { finalAccuracy: round(last.accuracy, 4) }),
  };
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  await selectBackend();
  const { train, test } = await mnistSplit();
  const mlpPeers = smoke ? 20 : 1000;
  const mlpRounds = smoke ? 2 : 50;
  const shards = partition({ kind: 'iid' }, train.labels, train.classCount, mlpPeers, 1).map((rows, i) => subset(train, rows, `peer ${i}`));
  const testSet = subset(test, Array.from({ length: 1000 }, (_, i) => i), 'test');
  const synthetic = { deltaBytes: 200_000, versionBytes: 800_000, samplesPerPeer: 8 };
  const gossipPeers = smoke ? 200 : 10_000;
  const curatorPeers = smoke ? 100 : 2000;
  const cases = [
    await measure('mlp', { task: task({ stopping: { rounds: mlpRounds } }), shards, test: testSet, seed: 1, latency: { kind: 'constant', ms: 20 } }, log),
    await measure(
      'protocol-only gossip',
      {
        task: task({ mode: 'gossip', stopping: { rounds: smoke ? 2 : 20 } }),
        protocolOnly: { peers: gossipPeers, ...synthetic },
        seed: 1,
        latency: { kind: 'constant', ms: 20 },
        topology: buildTopology({ kind: 'random-regular', k: 7 }, gossipPeers, 1),
      },
      log,
    ),
    await measure(
      'protocol-only curator',
      {
        // About 20 trainers a round.
        task: task({ stopping: { rounds: smoke ? 2 : 10 }, cohort: { fraction: 20 / curatorPeers, minPeers: 2 } }),
        protocolOnly: { peers: curatorPeers, ...synthetic },
        seed: 1,
        latency: { kind: 'constant', ms: 20 },
        presenceIntervalMs: 10_000,
      },
      log,
    ),
  ];
  const [mlp, gossip] = cases as [Case, Case, Case];
  return {
    summary:
      `Simulator wall time on the real round engine: ${mlpPeers} peers training the MNIST mlp (C=0.1, E=1, B=10, IID) for ${mlpRounds} rounds; ` +
      `${gossipPeers} protocol-only peers in gossip mode (random 7-regular); ${curatorPeers} protocol-only peers in curator mode (~20 trainers a round, presence every 10 s). Constant 20 ms latency.`,
    tables: [
      {
        title: 'simulated runs',
        columns: ['run', 'peers', 'rounds', 'wall s', 'events', 'events/s', 'messages', 'messages/s', 'virtual s', 'max RSS MiB', 'accuracy'],
        rows: cases.map((c) => [c.name, c.peers, c.rounds, c.seconds, c.events, c.eventsPerSecond, c.messages, c.messagesPerSecond, c.virtualSeconds, c.maxRssMiB, c.finalAccuracy ?? '—']),
      },
    ],
    figures: { cases },
    goals: [
      { goal: `${mlpPeers} peers × ${mlpRounds} rounds mlp ≤ ${GOAL_SECONDS} s`, measured: `${mlp.seconds} s`, met: mlp.seconds <= GOAL_SECONDS },
      { goal: `${gossipPeers} peers protocol-only ≤ ${GOAL_SECONDS} s`, measured: `${gossip.seconds} s for ${gossip.rounds} rounds`, met: gossip.seconds <= GOAL_SECONDS },
    ],
  };
}

const bench: Bench = { name: 'scale', description: 'simulator: 1,000 peers × 50 rounds mlp; 10,000 peers protocol-only', run };
export default bench;
