/**
 * Federated averaging with a fixed server, all in one process (McMahan et al. 2017):
 * each round a fraction C of clients trains from the global weights, their deltas travel
 * encoded as they would on the wire, and the server averages them weighted by samples.
 * One shared TF.js model is used for every client: weights are swapped in, not copied
 * into a model per client.
 *
 * Virtual time (`FedAvgTime`), so that the baseline can be compared by time with the
 * simulator's runs: a round starts when the previous one ends; each client of the cohort
 * downloads the global version (one latency + version bytes / its download bandwidth), trains
 * (samples × epochs / samplesPerSecond, the simulator's model of a peer's training), and uploads
 * its encoded delta (one latency + delta bytes / its upload bandwidth). The round ends when the
 * last client's delta arrives: the maximum over the cohort. The server has unlimited bandwidth
 * and aggregates and evaluates in no time; no message is lost and every client stays online.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { fedAvg } from '../../node/aggregate/fedavg.ts';
import type { AggregationStrategy, Contribution } from '../../node/aggregate/strategy.ts';
import type { Dataset } from '../../node/learn/data/dataset.ts';
import { readWeights, writeWeights } from '../../node/learn/model-weights.ts';
import { Rng, type Seed } from '../../node/learn/rng.ts';
import { evaluate, planForRound, trainLocal, type TrainingPlan } from '../../node/learn/trainer.ts';
import { decodeWeights, encodeWeights, subtractInto, type WeightsEncoding } from '../../node/learn/weights/index.ts';
import type { FlatWeights } from '../../node/learn/weights/flat.ts';

export interface FedAvgRun {
  /** The shared model; its weights at the start are the initial global weights. */
  readonly model: LayersModel;
  readonly clients: readonly Dataset[];
  readonly test: Dataset;
  readonly plan: TrainingPlan;
  /** Share of clients training each round (C); at least one client always trains. */
  readonly fraction: number;
  readonly maxRounds: number;
  /** Stop as soon as the global test accuracy reaches this. */
  readonly targetAccuracy?: number;
  /** How deltas are encoded in transit. */
  readonly encoding: WeightsEncoding;
  readonly seed: Seed;
  /** The server's aggregation; FedAvg when not given. */
  readonly strategy?: AggregationStrategy;
  /** How virtual time passes; default: 2,000 samples/s, no latency, unlimited bandwidth. */
  readonly time?: FedAvgTime;
  readonly signal?: AbortSignal;
}

/** The simulator's training speed of a peer (sim/run.ts), used for the clients too. */
export const DEFAULT_SAMPLES_PER_SECOND = 2000;

/** The virtual-time model of a round (see the module comment). */
export interface FedAvgTime {
  /** Every client's training speed. Default 2,000 samples/s. */
  readonly samplesPerSecond?: number;
  /** Every client's upload bandwidth, bytes/s. Default unlimited. */
  readonly uploadBps?: number;
  /** Every client's download bandwidth, bytes/s. Default unlimited. */
  readonly downloadBps?: number;
  /** One-way latency in ms between the server and `client`, sampled per transfer (down, then up). Default 0. */
  readonly latencyMs?: (client: number) => number;
}

export interface FedAvgRound {
  readonly round: number;
  readonly cohort: readonly number[];
  readonly samples: number;
  readonly accuracy: number;
  readonly loss: number;
  /** Encoded delta bytes sent by the cohort to the server this round. */
  readonly uploadBytes: number;
  /** Version bytes (f32, as peers store versions) the cohort downloaded this round. */
  readonly downloadBytes: number;
  /** Virtual ms at which the round ended (cumulative over rounds; see `FedAvgTime`). */
  readonly virtualMs: number;
  /** Real seconds the round took. */
  readonly seconds: number;
}

export function cohortSize(clients: number, fraction: number): number {
  return Math.max(1, Math.min(clients, Math.round(fraction * clients)));
}

/** Runs rounds until maxRounds, the target accuracy, or the signal; returns every round's report. */
export async function runFedAvg(run: FedAvgRun, onRound: (round: FedAvgRound) => void = () => {}): Promise<FedAvgRound[]> {
  const rng = new Rng(run.seed);
  const strategy = run.strategy ?? fedAvg();
  let global: FlatWeights = readWeights(run.model);
  const versionBytes = encodeWeights(global, 'f32').byteLength;
  const time = run.time ?? {};
  const samplesPerSecond = time.samplesPerSecond ?? DEFAULT_SAMPLES_PER_SECOND;
  const transferMs = (bytes: number, bps: number | undefined) => (bps === undefined ? 0 : (bytes * 1000) / bps);
  let virtualMs = 0;
  const reports: FedAvgRound[] = [];
  for (let round = 1; round <= run.maxRounds && !run.signal?.aborted; round++) {
    const started = performance.now();
    const cohort = rng.permutation(run.clients.length).slice(0, cohortSize(run.clients.length, run.fraction)).sort((a, b) => a - b);
    const contributions: Contribution[] = [];
    let uploadBytes = 0;
    let roundMs = 0;
    for (const index of cohort) {
      const data = run.clients[index]!;
      writeWeights(run.model, global);
      await trainLocal(run.model, data, planForRound(run.plan, round), rng.fork(`round ${round} client ${index}`));
      const trained = readWeights(run.model).values;
      const delta = new Float32Array(trained.length);
      subtractInto(delta, trained, global.values);
      const wire = encodeWeights({ manifest: global.manifest, values: delta }, run.encoding);
      uploadBytes += wire.byteLength;
      const down = (time.latencyMs?.(index) ?? 0) + transferMs(versionBytes, time.downloadBps);
      const train = (data.size * run.plan.epochs * 1000) / samplesPerSecond;
      const up = (time.latencyMs?.(index) ?? 0) + transferMs(wire.byteLength, time.uploadBps);
      roundMs = Math.max(roundMs, down + train + up);
      contributions.push({ from: `client ${index}`, delta: decodeWeights(wire, global.manifest).values, samples: data.size });
      if (run.signal?.aborted) break;
    }
    if (run.signal?.aborted) break;
    global = { manifest: global.manifest, values: strategy.aggregate(global.values, contributions) };
    writeWeights(run.model, global);
    const { accuracy, loss } = evaluate(run.model, run.test);
    virtualMs += roundMs;
    const report: FedAvgRound = {
      round,
      cohort,
      samples: contributions.reduce((sum, c) => sum + c.samples, 0),
      accuracy,
      loss,
      uploadBytes,
      downloadBytes: cohort.length * versionBytes,
      virtualMs,
      seconds: (performance.now() - started) / 1000,
    };
    reports.push(report);
    onRound(report);
    if (run.targetAccuracy !== undefined && accuracy >= run.targetAccuracy) break;
  }
  return reports;
}
