/**
 * The `Scenario` type: a validated simulation scenario with every default filled in, as plain
 * data (JSON-serialisable). Each field's meaning and default is documented here; parsing is in
 * `../scenario.ts`.
 */
import type { DataSchema } from '../../node/learn/data/schema.ts';
import type { BuiltinDataset, TaskManifest } from '../../node/task/manifest.ts';
import type { TopologySpec } from '../topology/spec.ts';
import type { AttackerGroup } from '../attack/spec.ts';
import type { SweepPoint } from './sweep.ts';

/** The algorithms a scenario can compare. */
export const ALGORITHMS = ['curator', 'gossip', 'fedavg'] as const;
/**
 * - `curator`: the gossipfl round protocol (an elected curator aggregates each round).
 * - `gossip`: the gossip mode of the task (peers average with overlay neighbours).
 * - `fedavg`: the centralised FedAvg baseline (a server; no overlay, so no topology).
 */
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * Longest label of an `algorithms` entry: the plot legends show this many characters in full.
 * Labels may not hold commas, double quotes or line breaks (they are a CSV cell).
 */
export const MAX_LABEL_CHARS = 28;

/** Fields of an `algorithms` entry written as a mapping. */
export const VARIANT_KEYS = ['algorithm', 'label', 'partition', 'topology', 'network', 'churn', 'task', 'attackers'] as const;

/** Task sections an `algorithms` entry may override; the first four are merged field by field, the rest replaced. */
export const TASK_OVERRIDE_KEYS = ['training', 'stopping', 'cohort', 'timing', 'model', 'aggregation', 'encoding', 'gossip'] as const;
export const MERGED_TASK_SECTIONS: readonly string[] = ['training', 'stopping', 'cohort', 'timing'];

/** Scenario names: lowercase slug, 3–64 characters of `[a-z0-9-]`, starting with a letter or digit. */
export const SCENARIO_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/**
 * Rows of the built-in MNIST split (`mnistSplit`: 10,000 digits, 20% of each class held out).
 * Per-class rounding can shift these by a few rows; they bound `peers` and `testSamples`.
 */
export const MNIST_TRAIN_ROWS = 8000;
export const MNIST_TEST_ROWS = 2000;

/** Defaults filled in by `parseScenario`; each is also stated on its field below. */
export const SCENARIO_DEFAULTS = {
  seed: 1,
  data: { builtin: 'mnist', minSamples: 1 },
  minPerClient: 1,
  shardsPerClient: 2,
  topology: { kind: 'complete' },
  latency: { kind: 'constant', ms: 0 },
  dropProbability: 0,
  sessionSigma: 1,
  testSamples: 2000,
  everyRounds: 1,
  protocolOnly: false,
  presenceIntervalMs: 2000,
} as const;

/**
 * Where the peers' data comes from.
 * - `{ builtin: mnist }`: the built-in MNIST digits (schema `MNIST_SCHEMA`).
 * - `{ csv, schema }`: a CSV file with a header row. In the scenario file it is written flat:
 *   `{ csv: path, labelColumn, classes, featureColumns?, featureCount?, minSamples? }`;
 *   `csv` relative to the scenario file's folder (stored here as an absolute path);
 *   `classes` the label values in class order (≥ 2); `featureColumns` the feature columns in
 *   order, or `featureCount` (then every column but the label is a feature; one of the two is
 *   required); `minSamples` default 1.
 */
export type ScenarioData = { readonly builtin: BuiltinDataset } | { readonly csv: string; readonly schema: DataSchema };

/**
 * How the training rows are split among peers (a `PartitionSpec` with defaults filled).
 * A bare string (`partition: iid`) is shorthand for `{ kind: … }`. Default `{ kind: iid }`.
 * - `iid`: shuffled and dealt out evenly.
 * - `dirichlet`: label skew, class proportions ~ Dirichlet(`alpha` > 0); `minPerClient` (default 1).
 * - `shards`: McMahan et al.'s pathological split, `shardsPerClient` (default 2) label-sorted shards each.
 * - `quantity`: size skew, sizes ~ Dirichlet(`alpha` > 0); `minPerClient` (default 1).
 */
export type ScenarioPartition =
  | { readonly kind: 'iid' }
  | { readonly kind: 'dirichlet'; readonly alpha: number; readonly minPerClient: number }
  | { readonly kind: 'shards'; readonly shardsPerClient: number }
  | { readonly kind: 'quantity'; readonly alpha: number; readonly minPerClient: number };

/**
 * One-way link latency (see `LatencyModel` in sim/core/links.ts), all in ms. Default
 * `{ kind: constant, ms: 0 }`. A bare string is shorthand for `{ kind: … }`.
 * - `constant { ms ≥ 0 }`, `uniform { min ≥ 0, max ≥ min }`, `lognormal { mu, sigma ≥ 0 }`
 *   (median exp(mu) ms).
 * - `regions { regionOf, matrix, jitter? }`: `regionOf` lists each peer's region in peer-index
 *   order (exactly `peers` names); `matrix[a][b]` is the latency from region a to b
 *   (`matrix[b][a]` is used when missing; every pair of regions in use needs one); `jitter`
 *   in [0, 1) multiplies each sample by uniform(1 − jitter, 1 + jitter). `latencyModel` turns
 *   it into a `LatencyModel` keyed by peer id.
 */
export type ScenarioLatency =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'lognormal'; readonly mu: number; readonly sigma: number }
  | {
      readonly kind: 'regions';
      readonly regionOf: readonly string[];
      readonly matrix: Readonly<Record<string, Readonly<Record<string, number>>>>;
      readonly jitter?: number;
    };

/**
 * A scheduled network partition or heal (virtual ms from the start of the run), in time
 * order. Written `{ at: ms, groups: [[0, 1], [2, 3]] }` and `{ heal: ms }`. Groups list peer
 * indices (0..peers−1, each in at most one group); peers in no group form one more group. A
 * later partition replaces the current one; a heal ends it.
 */
export type ScenarioPartitionEvent =
  | { readonly kind: 'partition'; readonly at: number; readonly groups: readonly (readonly number[])[] }
  | { readonly kind: 'heal'; readonly at: number };

export interface ScenarioNetwork {
  /** Default `{ kind: constant, ms: 0 }`. */
  readonly latency: ScenarioLatency;
  /** Probability that a message copy (or a blob transfer) is lost, in [0, 1]. Default 0. */
  readonly dropProbability: number;
  /** Every peer's upload bandwidth in bytes per second (> 0); null (the default) is unlimited. */
  readonly uploadBps: number | null;
  /** Every peer's download bandwidth in bytes per second (> 0); null (the default) is unlimited. */
  readonly downloadBps: number | null;
  /** Scheduled partitions and heals, in time order. Default none. */
  readonly partitions: readonly ScenarioPartitionEvent[];
}

/**
 * When peers are online (see sim/core/churn.ts). Default `{ kind: always-on }`; a bare string
 * is shorthand for `{ kind: … }`.
 * - `always-on`.
 * - `sessions { online, meanSessionMs, sigma, meanOfflineMs? }`: long-run online fraction
 *   `online` in (0, 1], lognormal sessions of mean `meanSessionMs` (> 0) and log-sd `sigma`
 *   (≥ 0, default 1); `meanOfflineMs` overrides the offline periods' mean.
 * - `crash { fraction, at }`: a `fraction` in (0, 1] of the peers (chosen from the seed) crash
 *   and stay down; at `at` ms, or, when `at` is null (the default), each at a time drawn
 *   uniformly over the run by the runner.
 * - `trace { path }`: a churn trace file (`peer,time_ms,up|down` lines, see `parseChurnTrace`);
 *   relative to the scenario file's folder, stored absolute. `readScenario` checks it parses.
 * - `curator-crash { probability, downMs }` (curator algorithm only): in each round, with
 *   `probability` in [0, 1] (drawn from the seed), the first peer to begin aggregating crashes at
 *   that moment and restarts from its checkpoint `downMs` (≥ 0) later; a standby must take over.
 */
export type ScenarioChurn =
  | { readonly kind: 'always-on' }
  | { readonly kind: 'sessions'; readonly online: number; readonly meanSessionMs: number; readonly sigma: number; readonly meanOfflineMs?: number }
  | { readonly kind: 'crash'; readonly fraction: number; readonly at: number | null }
  | { readonly kind: 'trace'; readonly path: string }
  | { readonly kind: 'curator-crash'; readonly probability: number; readonly downMs: number };

export interface ScenarioEvaluation {
  /** Held-out samples every version is measured on (whole ≥ 1; ≤ 2,000 for mnist). Default 2,000. */
  readonly testSamples: number;
  /** Evaluate every this many rounds (whole ≥ 1). Default 1. */
  readonly everyRounds: number;
}

/**
 * One line of the comparison: an algorithm and the configuration it runs with, every field
 * resolved. In the file, an entry of `algorithms` is either an algorithm name (it runs with the
 * scenario's own partition, topology, network, churn and task, and is labelled by the name) or
 * a mapping
 *
 *   { algorithm: fedavg, label: "fedavg E=5 non-iid", partition: …, topology: …, network: …, churn: …, task: … }
 *
 * whose optional fields override the top-level ones and are validated by the same rules:
 * - `partition`, `topology`, `churn` replace the top-level section;
 * - `network` is merged field by field into the top-level network (`{ dropProbability: 0.5 }`
 *   keeps the scenario's latency);
 * - `task` holds task sections: `training`, `stopping`, `cohort`, `timing` are merged field by
 *   field (`task: { training: { epochs: 5 } }` changes only the epochs), `model`, `aggregation`
 *   and `encoding` replace the top-level ones; `data` and `mode` cannot be set.
 * `label` names the line in rounds.csv and the plots; default the algorithm name. Labels are
 * unique, 1–28 characters, without commas, double quotes or line breaks. Entries with the same
 * partition share the exact same shards; every entry uses the scenario's seed.
 * A `fedavg` line (a fixed server, no overlay) takes no `topology` and no `network.partitions`,
 * its own or inherited; its latency and bandwidths set its time, and its churn (not
 * `curator-crash`) and `dropProbability` lose deltas (sim/baselines/fedavg.ts).
 */
export interface ScenarioVariant {
  readonly label: string;
  readonly algorithm: Algorithm;
  readonly partition: ScenarioPartition;
  readonly topology: TopologySpec;
  readonly network: ScenarioNetwork;
  readonly churn: ScenarioChurn;
  /** The task with the entry's overrides; its `mode` is the scenario default (the runner sets the algorithm's). */
  readonly task: TaskManifest;
  /** The line's hostile peers (`attackers`, replaced by an entry's own); [] for none. Curator lines only. */
  readonly attackers: readonly AttackerGroup[];
  /** For a line made by the scenario's `sweep` (sim/scenario/sweep.ts): its value on each axis. */
  readonly sweep?: SweepPoint;
}

/** A validated scenario with every default filled in. */
export interface Scenario {
  /** Lowercase slug, 3–64 characters of `[a-z0-9-]`. Required. */
  readonly name: string;
  /** Seeds everything random in the run (partition, topology, latency, churn). Whole number; default 1. */
  readonly seed: number;
  /** Number of simulated peers, whole ≥ 2. Required. Peers are referred to by index 0..peers−1. */
  readonly peers: number;
  /** Required unless `protocolOnly` (then default `{ builtin: mnist }`, unused). */
  readonly data: ScenarioData;
  /** Default `{ kind: iid }`. */
  readonly partition: ScenarioPartition;
  /**
   * The task every algorithm runs, validated as a task manifest (all of its defaults apply).
   * In the scenario file: a task manifest body; `version` (default 1) and `id` (default: the
   * scenario `name`) may be omitted; `data` and `mode` must be omitted (the scenario's `data`
   * fills `data`; each algorithm sets the mode). `model` and `stopping` are required.
   */
  readonly task: TaskManifest;
  /** The overlay for curator and gossip (see `parseTopologySpec`). Default `{ kind: complete }`. Must be omitted when the only algorithm is fedavg. */
  readonly topology: TopologySpec;
  /** Default: no latency, no loss, unlimited bandwidth, no partitions. */
  readonly network: ScenarioNetwork;
  /** Default `{ kind: always-on }`. */
  readonly churn: ScenarioChurn;
  /**
   * The lines compared, in this order, on the same data and seed (see `ScenarioVariant`).
   * Required: at least one; labels unique. The top-level partition, topology, network, churn and
   * task are what an entry runs with unless it overrides them.
   */
  readonly algorithms: readonly ScenarioVariant[];
  /**
   * Hostile peers (sim/attack/spec.ts): `none` (the default), a group `{ fraction, kind, …the
   * kind's parameters }` or a list of groups; chosen from the seed, the same peers on every line.
   * An `algorithms` entry may replace it; the `sweep` may cross it with the entries.
   */
  readonly attackers: readonly AttackerGroup[];
  /** Default `{ testSamples: 2000, everyRounds: 1 }`. Must be omitted when `protocolOnly`. */
  readonly evaluation: ScenarioEvaluation;
  /** True: no training; peers send synthetic deltas of `deltaBytes`. Default false. */
  readonly protocolOnly: boolean;
  /** Size of each synthetic delta in bytes (whole ≥ 1, ≤ task.timing.maxBlobBytes); required when `protocolOnly`, else must be absent (null). */
  readonly deltaBytes: number | null;
  /** Size of each synthetic version in bytes (whole ≥ 1, ≤ task.timing.maxBlobBytes); protocol-only; default `deltaBytes`. */
  readonly versionBytes: number | null;
  /**
   * How often each simulated peer announces its head, ms (whole ≥ 1; default 2,000 as a real
   * peer). Every peer hears every announcement: N² deliveries per interval, so thousands of
   * peers need longer intervals.
   */
  readonly presenceIntervalMs: number;
}
