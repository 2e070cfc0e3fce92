/**
 * Scenario files: what a simulation experiment runs (peers, data and its partition, the task,
 * overlay, network, churn, the algorithms compared, evaluation), read from YAML or JSON.
 * Parsing reports every problem at once with its field path (like the task manifest), rejects
 * unknown fields with "did you mean" suggestions, checks fields against each other, and fills
 * the defaults documented on the types in `./scenario/types.ts`.
 *
 *   name: fedavg-iid-vs-noniid
 *   peers: 100
 *   data: { builtin: mnist }
 *   partition: { kind: dirichlet, alpha: 0.5 }
 *   task: { model: { preset: mlp }, stopping: { rounds: 20 } }
 *   algorithms: [curator, gossip, fedavg]
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GossipflError } from '../node/errors.ts';
import { Problems, checkKnownKeys, describe, isMapping, numberField, parseText, stringField, suggest, type Mapping } from '../node/task/fields.ts';
import { TASK_MANIFEST_VERSION, TaskManifestError, validateTaskManifest, type TaskManifest } from '../node/task/manifest.ts';
import { parseChurnTrace } from './core/churn.ts';
import { validateLatency, type LatencyModel } from './core/links.ts';
import { readChurn, readData, readEvaluation, readNetwork, readPartition, WHOLE_AT_LEAST_1 } from './scenario/sections.ts';
import { ALGORITHMS, MNIST_TEST_ROWS, MNIST_TRAIN_ROWS, SCENARIO_DEFAULTS, SCENARIO_NAME_PATTERN } from './scenario/types.ts';
import type { Algorithm, Scenario, ScenarioData, ScenarioLatency, ScenarioPartition } from './scenario/types.ts';
import { parseTopologySpec, type TopologySpec } from './topology/spec.ts';

export * from './scenario/types.ts';

/** A scenario that cannot be run; `problems` lists every problem found, each with its field path. */
export class ScenarioError extends GossipflError {
  override name = 'ScenarioError';
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: scenario has ${count}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.source = source;
    this.problems = problems;
  }
}

const TOP_KEYS = ['name', 'seed', 'peers', 'data', 'partition', 'task', 'topology', 'network', 'churn', 'algorithms', 'evaluation', 'protocolOnly', 'deltaBytes'] as const;

const given = (parent: Mapping, key: string): boolean => parent[key] !== undefined && parent[key] !== null;

/** "path: message" problems of a nested validator, re-rooted under `prefix`. */
function nest(prefix: string, problem: string): string {
  const match = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*): ([\s\S]*)$/.exec(problem);
  return match === null ? `${prefix}: ${problem}` : `${prefix}.${match[1] as string}: ${match[2] as string}`;
}

function readTask(root: Mapping, name: string | undefined, data: ScenarioData | undefined, problems: Problems, source: string): TaskManifest | undefined {
  const value = root['task'];
  if (!given(root, 'task')) {
    problems.add('task', 'is required (a task manifest body: model, stopping, and optionally training, cohort, aggregation, timing, encoding)');
    return undefined;
  }
  if (!isMapping(value)) {
    problems.add('task', `must be a mapping of fields, got ${describe(value)}`);
    return undefined;
  }
  if (given(value, 'data')) problems.add('task.data', 'set the data at the top level of the scenario (data:), not in the task');
  if (given(value, 'mode')) problems.add('task.mode', 'remove it: each of the scenario\'s algorithms sets the mode');
  const { data: _data, mode: _mode, ...rest } = value;
  const body: Record<string, unknown> = {
    version: TASK_MANIFEST_VERSION,
    id: name ?? 'scenario-task',
    ...rest,
    data: data === undefined ? { builtin: 'mnist' } : 'builtin' in data ? { builtin: data.builtin } : data.schema,
  };
  try {
    const task = validateTaskManifest(body, source);
    // Even with a problem in task.data, task.mode or data (already recorded, so the parse
    // fails), the task is returned so that the cross-field checks still run on it.
    return task;
  } catch (error) {
    if (!(error instanceof TaskManifestError)) throw error;
    for (const problem of error.problems) problems.list.push(nest('task', problem));
    return undefined;
  }
}

function readTopology(root: Mapping, problems: Problems, source: string): TopologySpec | undefined {
  if (!given(root, 'topology')) return SCENARIO_DEFAULTS.topology;
  try {
    return parseTopologySpec(root['topology'], source, 'topology');
  } catch (error) {
    if (!(error instanceof GossipflError)) throw error;
    const listed = error.message.split('\n').flatMap((line) => (line.startsWith('  - ') ? [line.slice(4)] : []));
    if (listed.length === 0) problems.add('topology', error.message);
    else problems.list.push(...listed);
    return undefined;
  }
}

function readAlgorithms(root: Mapping, problems: Problems): Algorithm[] | undefined {
  const value = root['algorithms'];
  if (!given(root, 'algorithms')) {
    problems.add('algorithms', `is required (a list of one or more of ${ALGORITHMS.join(', ')})`);
    return undefined;
  }
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    problems.add('algorithms', `must be a list of one or more of ${ALGORITHMS.join(', ')}, got ${Array.isArray(list) ? 'an empty list' : describe(value)}`);
    return undefined;
  }
  const out: Algorithm[] = [];
  let ok = true;
  list.forEach((item: unknown, index) => {
    const path = `algorithms[${index}]`;
    if (typeof item !== 'string' || !(ALGORITHMS as readonly string[]).includes(item)) {
      const guess = typeof item === 'string' ? suggest(item, ALGORITHMS) : undefined;
      problems.add(path, `must be one of ${ALGORITHMS.join(', ')}, got ${describe(item)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}`);
      ok = false;
    } else if (out.includes(item as Algorithm)) {
      problems.add(path, `lists ${item} a second time`);
      ok = false;
    } else out.push(item as Algorithm);
  });
  return ok ? out : undefined;
}

function booleanField(root: Mapping, key: string, problems: Problems, fallback: boolean): boolean | undefined {
  const value = root[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    problems.add(key, `must be true or false, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** Rows each peer needs at least, by partition. */
function rowsPerPeer(partition: ScenarioPartition): number {
  switch (partition.kind) {
    case 'iid':
      return 1;
    case 'dirichlet':
    case 'quantity':
      return partition.minPerClient;
    case 'shards':
      return partition.shardsPerClient;
    default: {
      const unreachable: never = partition;
      return unreachable;
    }
  }
}

/** Checks a topology against the number of peers (the generators' own preconditions). */
function topologyFits(topology: TopologySpec, peers: number, problems: Problems): void {
  switch (topology.kind) {
    case 'ring':
    case 'small-world':
      if (peers <= 2 * topology.k) problems.add('topology.k', `needs more than 2k = ${2 * topology.k} peers (k neighbours on each side), but peers is ${peers}`);
      return;
    case 'random-regular':
      if (topology.k >= peers) problems.add('topology.k', `must be less than peers (${peers}), got ${topology.k}`);
      else if ((peers * topology.k) % 2 !== 0) problems.add('topology.k', `peers·k must be even (every edge has two ends), got peers = ${peers}, k = ${topology.k}`);
      return;
    case 'scale-free':
      if (topology.m >= peers) problems.add('topology.m', `must be less than peers (${peers}), got ${topology.m}`);
      return;
    case 'dynamic':
      if (topology.s >= peers) problems.add('topology.s', `must be less than peers (${peers}), got ${topology.s}`);
      return;
    case 'complete':
    case 'edge-list':
      return;
    default: {
      const unreachable: never = topology;
      return unreachable;
    }
  }
}

export interface ParseScenarioOptions {
  /** Folder that relative paths in the scenario (csv, edge-list, churn trace) are resolved against. Default: the folder of `source`. */
  readonly baseDir?: string;
}

/**
 * Validates already-parsed scenario data: the scenario with defaults filled, or a
 * `ScenarioError` listing every problem (with field paths).
 */
export function validateScenario(value: unknown, source: string, options: ParseScenarioOptions = {}): Scenario {
  if (!isMapping(value)) throw new ScenarioError(source, [`a scenario must be a mapping of fields, got ${describe(value)}`]);
  const baseDir = options.baseDir ?? dirname(resolve(source));
  const problems = new Problems();
  checkKnownKeys(value, TOP_KEYS, '', problems);
  const name = stringField(value, 'name', '', problems, true);
  if (name !== undefined && !SCENARIO_NAME_PATTERN.test(name)) {
    problems.add('name', `must be 3–64 characters of a-z, 0-9 and "-", starting with a letter or digit, got ${describe(name)}`);
  }
  const seed = numberField(value, 'seed', '', problems, { integer: true, min: 0, expected: 'a whole number ≥ 0' }, SCENARIO_DEFAULTS.seed);
  const peers = numberField(value, 'peers', '', problems, { integer: true, min: 2, expected: 'a whole number ≥ 2' });
  const protocolOnly = booleanField(value, 'protocolOnly', problems, SCENARIO_DEFAULTS.protocolOnly);
  const data = readData(value, problems, baseDir, protocolOnly !== true);
  const partition = readPartition(value, problems);
  const task = readTask(value, name !== undefined && SCENARIO_NAME_PATTERN.test(name) ? name : undefined, data, problems, source);
  const topology = readTopology(value, problems, source);
  const network = readNetwork(value, problems, peers);
  const churn = readChurn(value, problems, baseDir);
  const algorithms = readAlgorithms(value, problems);
  const evaluation = readEvaluation(value, problems);
  const deltaBytes = given(value, 'deltaBytes') ? numberField(value, 'deltaBytes', '', problems, WHOLE_AT_LEAST_1) : undefined;

  // Cross-field checks.
  if (protocolOnly === true && !given(value, 'deltaBytes')) problems.add('deltaBytes', 'is required when protocolOnly is true (the size of each synthetic delta in bytes)');
  if (protocolOnly === false && given(value, 'deltaBytes')) problems.add('deltaBytes', 'applies to protocol-only runs only; remove it or set protocolOnly: true');
  if (protocolOnly === true && given(value, 'evaluation')) problems.add('evaluation', 'protocol-only runs do not train or evaluate; remove it');
  if (deltaBytes !== undefined && task !== undefined && deltaBytes > task.timing.maxBlobBytes) {
    problems.add('deltaBytes', `is ${deltaBytes}, more than task.timing.maxBlobBytes (${task.timing.maxBlobBytes})`);
  }
  if (algorithms !== undefined && given(value, 'topology') && algorithms.every((algorithm) => algorithm === 'fedavg')) {
    problems.add('topology', 'fedavg uses a central server, not an overlay; remove the topology or add curator or gossip to algorithms');
  }
  if (peers !== undefined && topology !== undefined) topologyFits(topology, peers, problems);
  if (peers !== undefined && task !== undefined && task.cohort.minPeers > peers) {
    problems.add('task.cohort.minPeers', `is ${task.cohort.minPeers}, more than the ${peers} peers`);
  }
  if (protocolOnly === false && peers !== undefined && partition !== undefined && data !== undefined && 'builtin' in data) {
    const needed = peers * rowsPerPeer(partition);
    if (needed > MNIST_TRAIN_ROWS) {
      const what = partition.kind === 'shards' ? `${partition.shardsPerClient} shards (of at least one row) for each of ${peers} peers` : `${rowsPerPeer(partition)} row(s) for each of ${peers} peers`;
      problems.add('partition', `needs ${needed} training rows (${what}), but ${data.builtin} has about ${MNIST_TRAIN_ROWS}`);
    }
  }
  if (protocolOnly === false && evaluation !== undefined && data !== undefined && 'builtin' in data && evaluation.testSamples > MNIST_TEST_ROWS) {
    problems.add('evaluation.testSamples', `is ${evaluation.testSamples}, but ${data.builtin} holds out about ${MNIST_TEST_ROWS} test samples`);
  }

  if (problems.list.length > 0) throw new ScenarioError(source, problems.list);
  if (
    name === undefined || seed === undefined || peers === undefined || protocolOnly === undefined || data === undefined || partition === undefined ||
    task === undefined || topology === undefined || network === undefined || churn === undefined || algorithms === undefined || evaluation === undefined
  ) {
    throw new ScenarioError(source, ['internal error: a field failed validation without a reported problem']);
  }
  if (network.latency.kind !== 'regions') {
    try {
      validateLatency(network.latency);
    } catch (error) {
      throw new ScenarioError(source, [`network.latency: ${(error as Error).message}`]);
    }
  }
  return { name, seed, peers, data, partition, task, topology, network, churn, algorithms, evaluation, protocolOnly, deltaBytes: deltaBytes ?? null };
}

/**
 * Parses a scenario from YAML or JSON text. `source` names it in messages (a file path or a
 * label) and, unless `options.baseDir` is given, its folder is where relative paths are
 * resolved from. Throws `ScenarioError` with every problem; syntax errors with line and column.
 */
export function parseScenario(text: string, source: string, options: ParseScenarioOptions = {}): Scenario {
  const parsed = parseText(text, 'scenario');
  if ('problems' in parsed) throw new ScenarioError(source, parsed.problems);
  return validateScenario(parsed.value, source, options);
}

/**
 * Reads and parses a scenario file; relative paths in it are resolved against its folder. A
 * churn trace it names is read and must parse (the runner reads it again with `loadChurnTrace`).
 */
export async function readScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  const scenario = parseScenario(text, path, { baseDir: dirname(resolve(path)) });
  if (scenario.churn.kind === 'trace') {
    const tracePath = scenario.churn.path;
    let trace: string;
    try {
      trace = await readFile(tracePath, 'utf8');
    } catch (error) {
      throw new ScenarioError(path, [`churn.path: cannot read ${tracePath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
    }
    try {
      parseChurnTrace(trace, tracePath);
    } catch (error) {
      throw new ScenarioError(path, [`churn.path: ${(error as Error).message}`]);
    }
  }
  return scenario;
}

/** The scenario's latency as the simulator's `LatencyModel`, with `peerIds[i]` the id of peer i. */
export function latencyModel(latency: ScenarioLatency, peerIds: readonly string[]): LatencyModel {
  if (latency.kind !== 'regions') return latency;
  const regionOf: Record<string, string> = {};
  peerIds.forEach((id, index) => {
    const region = latency.regionOf[index];
    if (region !== undefined) regionOf[id] = region;
  });
  return { kind: 'regions', regionOf, matrix: latency.matrix, ...(latency.jitter === undefined ? {} : { jitter: latency.jitter }) };
}
