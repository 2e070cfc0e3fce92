/**
 * Runs a scenario: every line it compares (an algorithm and its configuration, see
 * `ScenarioVariant`) on the same data and seed — `curator` and `gossip` on the real round
 * engine in the simulator (sim/run.ts), and `fedavg` as the fixed-server baseline
 * (sim/baselines/fedavg.ts: its bytes are what its clients upload and download, its time a
 * simple model of training, transfer and latency). The data is split once per distinct
 * partition, so lines with the same partition train on the very same shards.
 */
import { GossipflError } from '../node/errors.ts';
import { subset, type Dataset } from '../node/learn/data/dataset.ts';
import { loadTabular } from '../node/learn/data/gate.ts';
import { mnistSplit } from '../node/learn/data/mnist.ts';
import { partition } from '../node/learn/data/partition.ts';
import { createModel } from '../node/learn/model.ts';
import { Rng } from '../node/learn/rng.ts';
import { taskDataSchema, taskModelSpec, type TaskManifest } from '../node/task/manifest.ts';
import { runFedAvg, type FedAvgFailures } from './baselines/fedavg.ts';
import { ChurnSchedule, loadChurnTrace } from './core/churn.ts';
import { simPeerId, simulate, type SimRound } from './run.ts';
import { sampleLatency } from './core/links.ts';
import { latencyModel, type Algorithm, type Scenario, type ScenarioPartition, type ScenarioVariant } from './scenario.ts';
import { buildTopology } from './topology/spec.ts';
import { chooseAttackers } from './attack/spec.ts';
import { fraudLogLines, type FraudLog, type FraudTally } from './attack/fraud-tally.ts';

export class ScenarioRunError extends GossipflError {
  override name = 'ScenarioRunError';
}

export interface AlgorithmRun {
  /** The line's label (unique in the scenario; the algorithm name unless the scenario gives one). */
  readonly label: string;
  readonly algorithm: Algorithm;
  readonly rounds: readonly SimRound[];
  /** Rounds reported, then abandoned when a fraud proof convicted their version's curator (curator mode). */
  readonly abandonedRounds: readonly SimRound[];
  /** Curator mode: the run's forged, convicted and abandoned versions, and the log lines they are read from. */
  readonly fraud?: { readonly tally: FraudTally; readonly logs: readonly FraudLog[] };
  /** The line's hostile peers, by index, with their attacks' kinds; empty for a clean line. */
  readonly attackers: readonly { readonly index: number; readonly peer: string; readonly kind: string }[];
  /** Real seconds the run took. */
  readonly seconds: number;
}

/** Samples a protocol-only peer claims per round: 50 ms of modelled training at 2,000 samples/s. */
const PROTOCOL_ONLY_SAMPLES = 100;

/** Virtual time after which a simulated run stops whatever happens. */
const HORIZON_MS = 6 * 3_600_000;

/**
 * The scenario's data: the held-out test set, and the training rows split among the peers once
 * per distinct partition (with the run's seed), so lines with the same partition share shards.
 */
export class PartitionedData {
  readonly test: Dataset;
  readonly #train: Dataset;
  readonly #peers: number;
  readonly #seed: number;
  readonly #shards = new Map<string, Dataset[]>();

  private constructor(train: Dataset, test: Dataset, peers: number, seed: number) {
    this.#train = train;
    this.test = test;
    this.#peers = peers;
    this.#seed = seed;
  }

  static async load(scenario: Scenario, seed: number): Promise<PartitionedData> {
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
    const evaluated = subset(test, Array.from({ length: Math.min(scenario.evaluation.testSamples, test.size) }, (_, i) => i), 'test');
    return new PartitionedData(train, evaluated, scenario.peers, seed);
  }

  /** One dataset per peer; the same array for equal partitions. */
  shards(spec: ScenarioPartition): Dataset[] {
    const key = JSON.stringify(spec);
    let shards = this.#shards.get(key);
    if (shards === undefined) {
      const train = this.#train;
      shards = partition(spec, train.labels, train.classCount, this.#peers, this.#seed).map((rows, i) => subset(train, rows, `peer ${i}`));
      this.#shards.set(key, shards);
    }
    return shards;
  }
}

async function churnOf(churn: ScenarioVariant['churn'], peers: readonly string[], seed: number): Promise<ChurnSchedule | undefined> {
  const rng = new Rng(seed).fork('churn');
  switch (churn.kind) {
    case 'always-on':
    case 'curator-crash': // not a schedule: the simulator crashes whoever begins aggregating
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

/** The FedAvg baseline on the line's shards, its rounds reported like the simulator's. */
async function runBaseline(variant: ScenarioVariant, shards: readonly Dataset[], test: Dataset, seed: number, onRound: (round: SimRound) => void): Promise<SimRound[]> {
  const { task, network } = variant;
  const schema = taskDataSchema(task);
  const model = await createModel(taskModelSpec(task, '.'), { featureCount: schema.featureCount, classCount: schema.classes.length }, task.model.seed);
  // Latency between the server and a client: the line's latency model, sampled per message
  // from its own stream (a regions model puts the server in each client's region).
  const ids = shards.map((_, i) => simPeerId(i));
  const latency = latencyModel(network.latency, ids);
  const latencyRng = new Rng(seed).fork('fedavg-latency');
  // The same churn schedule as the line's peers would have (same ids, same seed); the server
  // waits for deltas as long as a curator collects them.
  const churn = await churnOf(variant.churn, ids, seed);
  const failures: FedAvgFailures | undefined =
    churn === undefined && network.dropProbability === 0
      ? undefined
      : {
          onlineThroughout: (client, from, to) => churn?.isOnlineThroughout(ids[client]!, from, to) ?? true,
          dropProbability: network.dropProbability,
          roundTimeoutMs: task.timing.collectionWindowMs,
        };
  const rounds: SimRound[] = [];
  let bytes = 0;
  let lostDeltas = 0;
  try {
    await runFedAvg(
      {
        model,
        clients: shards,
        test,
        plan: task.training,
        fraction: task.cohort.fraction,
        maxRounds: task.stopping.rounds ?? 30,
        encoding: task.encoding,
        seed,
        time: {
          ...(network.uploadBps === null ? {} : { uploadBps: network.uploadBps }),
          ...(network.downloadBps === null ? {} : { downloadBps: network.downloadBps }),
          latencyMs: (client) => sampleLatency(latency, ids[client]!, ids[client]!, latencyRng),
        },
        ...(failures === undefined ? {} : { failures }),
      },
      (round) => {
        // Clients upload their deltas and the cohort downloads the new version: all the bytes
        // moved, per client (the simulator's column is all bytes received, per peer).
        bytes += round.uploadBytes + round.downloadBytes;
        lostDeltas += round.lostDeltas;
        const record: SimRound = {
          round: round.round,
          time: round.virtualMs,
          hash: '',
          curator: 'server',
          contributors: round.contributors.map((i) => simPeerId(i)),
          accuracy: round.accuracy,
          loss: round.loss,
          peerAccuracy: { min: round.accuracy, mean: round.accuracy, max: round.accuracy },
          consensusDistance: 0,
          bytesPerPeer: bytes / shards.length,
          messages: Number.NaN,
          failedTransfers: lostDeltas,
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
  options: { readonly seed?: number; readonly onRound?: (variant: ScenarioVariant, round: SimRound) => void } = {},
): Promise<AlgorithmRun[]> {
  const seed = options.seed ?? scenario.seed;
  // Protocol-only peers hold no data: nothing to load or partition.
  const data = scenario.protocolOnly ? undefined : await PartitionedData.load(scenario, seed);
  const peers = Array.from({ length: scenario.peers }, (_, i) => simPeerId(i));
  const runs: AlgorithmRun[] = [];
  for (const variant of scenario.algorithms) {
    const { algorithm, label } = variant;
    const started = performance.now();
    const onRound = (round: SimRound) => options.onRound?.(variant, round);
    let rounds: SimRound[];
    let abandonedRounds: readonly SimRound[] = [];
    let fraud: AlgorithmRun['fraud'];
    const plan = chooseAttackers(variant.attackers, scenario.peers, seed);
    const attackers = [...plan].sort(([a], [b]) => a - b).map(([index, attack]) => ({ index, peer: simPeerId(index), kind: attack.kind }));
    if (algorithm === 'fedavg') {
      if (data === undefined) throw new ScenarioRunError(`${scenario.name}: the fedavg baseline cannot run protocol-only`);
      rounds = await runBaseline(variant, data.shards(variant.partition), data.test, seed, onRound);
    } else {
      const task: TaskManifest = { ...variant.task, mode: algorithm };
      const network = variant.network;
      const churn = await churnOf(variant.churn, peers, seed);
      const crash = variant.churn.kind === 'curator-crash' ? { curatorCrash: { probability: variant.churn.probability, downMs: variant.churn.downMs } } : {};
      const deltaBytes = scenario.deltaBytes ?? 0;
      const peersOrData =
        data === undefined
          ? { protocolOnly: { peers: scenario.peers, deltaBytes, versionBytes: scenario.versionBytes ?? deltaBytes, samplesPerPeer: PROTOCOL_ONLY_SAMPLES } }
          : { shards: data.shards(variant.partition), test: data.test };
      const run = await simulate({
        task,
        ...peersOrData,
        ...crash,
        presenceIntervalMs: scenario.presenceIntervalMs,
        seed,
        topology: buildTopology(variant.topology, scenario.peers, seed),
        latency: latencyModel(network.latency, peers),
        dropProbability: network.dropProbability,
        ...(network.uploadBps === null ? {} : { uploadBps: network.uploadBps }),
        ...(network.downloadBps === null ? {} : { downloadBps: network.downloadBps }),
        partitions: network.partitions,
        ...(churn === undefined ? {} : { churn }),
        maxVirtualMs: HORIZON_MS,
        attackers: plan,
        onRound,
      });
      rounds = [...run.rounds];
      abandonedRounds = run.abandonedRounds;
      if (run.fraud !== undefined) fraud = { tally: run.fraud, logs: fraudLogLines(run.logs).map(({ peer, message }) => ({ peer, message })) };
    }
    runs.push({ label, algorithm, rounds, abandonedRounds, ...(fraud === undefined ? {} : { fraud }), attackers, seconds: (performance.now() - started) / 1000 });
  }
  return runs;
}
