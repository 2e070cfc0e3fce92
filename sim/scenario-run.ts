/**
 * Runs a scenario: the same data, partition and seed for every algorithm it compares —
 * `curator` and `gossip` on the real round engine in the simulator (sim/run.ts), and `fedavg`
 * as the fixed-server baseline (sim/baselines/fedavg.ts, which has no network: its time column
 * is empty and its bytes are what its clients would upload and download).
 */
import { GossipflError } from '../node/errors.ts';
import { subset, type Dataset } from '../node/learn/data/dataset.ts';
import { loadTabular } from '../node/learn/data/gate.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { partition } from '../node/learn/data/partition.ts';
import { createModel } from '../node/learn/model.ts';
import { Rng } from '../node/learn/rng.ts';
import { taskDataSchema, taskModelSpec, type TaskManifest } from '../node/task/manifest.ts';
import { runFedAvg } from './baselines/fedavg.ts';
import { ChurnSchedule, loadChurnTrace } from './core/churn.ts';
import { simPeerId, simulate, type SimRound } from './run.ts';
import { latencyModel, type Algorithm, type Scenario } from './scenario.ts';
import { buildTopology } from './topology/spec.ts';

export class ScenarioRunError extends GossipflError {
  override name = 'ScenarioRunError';
}

export interface AlgorithmRun {
  readonly algorithm: Algorithm;
  readonly rounds: readonly SimRound[];
  /** Real seconds the run took. */
  readonly seconds: number;
}

/** Virtual time after which a simulated run stops whatever happens. */
const HORIZON_MS = 6 * 3_600_000;

interface ScenarioData {
  readonly shards: Dataset[];
  readonly test: Dataset;
}

async function loadData(scenario: Scenario, seed: number): Promise<ScenarioData> {
  let train: Dataset;
  let test: Dataset;
  if ('builtin' in scenario.data) {
    ({ train, test } = await mnistSplit());
  } else {
    const all = await loadTabular(scenario.data.csv, scenario.data.schema);
    const order = new Rng(`${seed}/test-split`).permutation(all.size);
    const held = Math.max(1, Math.round(all.size * 0.2));
    test = subset(all, order.slice(0, held), `${all.name} (test)`);
    train = subset(all, order.slice(held), `${all.name} (train)`);
  }
  const parts = partition(scenario.partition, train.labels, train.classCount, scenario.peers, seed);
  return {
    shards: parts.map((rows, i) => subset(train, rows, `peer ${i}`)),
    test: subset(test, Array.from({ length: Math.min(scenario.evaluation.testSamples, test.size) }, (_, i) => i), 'test'),
  };
}

async function churnOf(scenario: Scenario, peers: readonly string[], seed: number): Promise<ChurnSchedule | undefined> {
  const churn = scenario.churn;
  const rng = new Rng(seed).fork('churn');
  switch (churn.kind) {
    case 'always-on':
      return undefined;
    case 'sessions':
      return ChurnSchedule.build(peers, churn, { horizonMs: HORIZON_MS, rng });
    case 'crash': {
      const schedule = ChurnSchedule.build(peers, { kind: 'always-on' }, { horizonMs: HORIZON_MS });
      const crashed = rng.permutation(peers.length).slice(0, Math.round(churn.fraction * peers.length));
      for (const i of crashed) schedule.crashAt(peers[i]!, churn.at ?? rng.uniform(0, 60_000));
      return schedule;
    }
    case 'trace':
      return ChurnSchedule.build(peers, { kind: 'trace', transitions: await loadChurnTrace(churn.path) }, { horizonMs: HORIZON_MS });
    default: {
      const unknown: never = churn;
      throw new ScenarioRunError(`unknown churn ${JSON.stringify(unknown)}`);
    }
  }
}

async function runBaseline(task: TaskManifest, data: ScenarioData, seed: number, onRound: (round: SimRound) => void): Promise<SimRound[]> {
  const schema = taskDataSchema(task);
  const model = await createModel(taskModelSpec(task, '.'), { featureCount: schema.featureCount, classCount: schema.classes.length }, task.model.seed);
  const versionBytes = model.countParams() * 4;
  const rounds: SimRound[] = [];
  let bytes = 0;
  try {
    await runFedAvg(
      {
        model,
        clients: data.shards,
        test: data.test,
        plan: task.training,
        fraction: task.cohort.fraction,
        maxRounds: task.stopping.rounds ?? 30,
        encoding: task.encoding,
        seed,
      },
      (round) => {
        // Clients upload their deltas and the cohort downloads the new version.
        bytes += round.uploadBytes + round.cohort.length * versionBytes;
        const record: SimRound = {
          round: round.round,
          time: Number.NaN,
          hash: '',
          curator: 'server',
          contributors: round.cohort.map((i) => simPeerId(i)),
          accuracy: round.accuracy,
          loss: round.loss,
          peerAccuracy: { min: round.accuracy, mean: round.accuracy, max: round.accuracy },
          consensusDistance: 0,
          bytesPerPeer: bytes / data.shards.length,
          messages: Number.NaN,
          failedTransfers: 0,
        };
        rounds.push(record);
        onRound(record);
      },
    );
  } finally {
    model.dispose();
  }
  return rounds;
}

export async function runScenario(
  scenario: Scenario,
  options: { readonly seed?: number; readonly onRound?: (algorithm: Algorithm, round: SimRound) => void } = {},
): Promise<AlgorithmRun[]> {
  if (scenario.protocolOnly) {
    throw new ScenarioRunError(`${scenario.name}: protocol-only scenarios (synthetic deltas, no training) are not implemented yet; set protocolOnly: false`);
  }
  const seed = options.seed ?? scenario.seed;
  const data = await loadData(scenario, seed);
  const peers = data.shards.map((_, i) => simPeerId(i));
  const runs: AlgorithmRun[] = [];
  for (const algorithm of scenario.algorithms) {
    const started = performance.now();
    const onRound = (round: SimRound) => options.onRound?.(algorithm, round);
    let rounds: SimRound[];
    if (algorithm === 'fedavg') {
      rounds = await runBaseline(scenario.task, data, seed, onRound);
    } else {
      const task: TaskManifest = { ...scenario.task, mode: algorithm };
      const network = scenario.network;
      const churn = await churnOf(scenario, peers, seed);
      const run = await simulate({
        task,
        shards: data.shards,
        test: data.test,
        seed,
        topology: buildTopology(scenario.topology, scenario.peers, seed),
        latency: latencyModel(network.latency, peers),
        dropProbability: network.dropProbability,
        ...(network.uploadBps === null ? {} : { uploadBps: network.uploadBps }),
        ...(network.downloadBps === null ? {} : { downloadBps: network.downloadBps }),
        partitions: network.partitions,
        ...(churn === undefined ? {} : { churn }),
        maxVirtualMs: HORIZON_MS,
        onRound,
      });
      rounds = [...run.rounds];
    }
    runs.push({ algorithm, rounds, seconds: (performance.now() - started) / 1000 });
  }
  return runs;
}
