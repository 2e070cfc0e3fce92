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
 * and aggregates and evaluates in no time.
 *
 * Failures (`FedAvgFailures`, optional; without them no message is lost and every client stays
 * online): the server samples the cohort among the clients online when the round starts; a
 * client's delta counts only if the version reached it, it stayed online from the round's start
 * until its delta arrived, the delta was not lost on the way, and it arrived within the round
 * timeout. When a delta is missing the server cannot tell it will never come: it waits out the
 * timeout, so that round lasts exactly the timeout. A round without deltas leaves the model as
 * it was.
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
  /** Churn and message loss; default none (see the module comment). */
  readonly failures?: FedAvgFailures;
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

/** What can go wrong in a round (see the module comment). */
export interface FedAvgFailures {
  /** Whether `client` is online for the whole of [fromMs, toMs] (virtual ms since the run began). */
  readonly onlineThroughout: (client: number, fromMs: number, toMs: number) => boolean;
  /** Probability that a transfer (the version down, a delta up) is lost, in [0, 1]. */
  readonly dropProbability: number;
  /** How long after a round starts the server stops waiting for deltas, in ms (> 0). */
  readonly roundTimeoutMs: number;
}

export interface FedAvgRound {
  readonly round: number;
  readonly cohort: readonly number[];
  /** The cohort members whose delta counted, in order (the whole cohort without failures). */
  readonly contributors: readonly number[];
  readonly samples: number;
  readonly accuracy: number;
  readonly loss: number;
  /** Encoded delta bytes sent by the cohort to the server this round (lost ones included). */
  readonly uploadBytes: number;
  /** Version bytes (f32, as peers store versions) sent to the cohort this round (lost ones included). */
  readonly downloadBytes: number;
  /** Cohort members whose delta did not count (see `FedAvgFailures`); 0 without failures. */
  readonly lostDeltas: number;
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
  const failures = run.failures;
  const allClients = run.clients.map((_, index) => index);
  for (let round = 1; round <= run.maxRounds && !run.signal?.aborted; round++) {
    const started = performance.now();
    const roundStart = virtualMs;
    const available = failures === undefined ? allClients : allClients.filter((c) => failures.onlineThroughout(c, roundStart, roundStart));
    const cohort = rng.permutation(available.length).map((i) => available[i]!).slice(0, cohortSize(run.clients.length, run.fraction)).sort((a, b) => a - b);
    const drops = rng.fork(`drops in round ${round}`);
    const transferLost = () => failures !== undefined && failures.dropProbability > 0 && drops.next() < failures.dropProbability;
    const contributions: Contribution[] = [];
    const contributors: number[] = [];
    let uploadBytes = 0;
    let roundMs = 0;
    let lostDeltas = 0;
    for (const index of cohort) {
      const data = run.clients[index]!;
      const down = (time.latencyMs?.(index) ?? 0) + transferMs(versionBytes, time.downloadBps);
      if (transferLost()) {
        lostDeltas++; // the version never reached the client: it does not train
        continue;
      }
      writeWeights(run.model, global);
      await trainLocal(run.model, data, planForRound(run.plan, round), rng.fork(`round ${round} client ${index}`));
      const trained = readWeights(run.model).values;
      const delta = new Float32Array(trained.length);
      subtractInto(delta, trained, global.values);
      const wire = encodeWeights({ manifest: global.manifest, values: delta }, run.encoding);
      uploadBytes += wire.byteLength;
      const train = (data.size * run.plan.epochs * 1000) / samplesPerSecond;
      const up = (time.latencyMs?.(index) ?? 0) + transferMs(wire.byteLength, time.uploadBps);
      const arrival = down + train + up;
      const counts = failures === undefined || (!transferLost() && arrival <= failures.roundTimeoutMs && failures.onlineThroughout(index, roundStart, roundStart + arrival));
      if (!counts) {
        lostDeltas++;
        continue;
      }
      roundMs = Math.max(roundMs, arrival);
      contributors.push(index);
      contributions.push({ from: `client ${index}`, delta: decodeWeights(wire, global.manifest).values, samples: data.size });
      if (run.signal?.aborted) break;
    }
    if (run.signal?.aborted) break;
    if (failures !== undefined && (lostDeltas > 0 || cohort.length === 0)) roundMs = failures.roundTimeoutMs;
    if (contributions.length > 0) global = { manifest: global.manifest, values: strategy.aggregate(global.values, contributions) };
    writeWeights(run.model, global);
    const { accuracy, loss } = evaluate(run.model, run.test);
    virtualMs += roundMs;
    const report: FedAvgRound = {
      round,
      cohort,
      contributors,
      samples: contributions.reduce((sum, c) => sum + c.samples, 0),
      accuracy,
      loss,
      uploadBytes,
      downloadBytes: cohort.length * versionBytes,
      lostDeltas,
      virtualMs,
      seconds: (performance.now() - started) / 1000,
    };
    reports.push(report);
    onRound(report);
    if (run.targetAccuracy !== undefined && accuracy >= run.targetAccuracy) break;
  }
  return reports;
}
