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
 *   algorithms:
 *     - curator
 *     - gossip
 *     - { algorithm: fedavg, label: fedavg E=5, task: { training: { epochs: 5 } } }
 *
 * Each `algorithms` entry is a line of the comparison: an algorithm name, or a mapping that
 * overrides the top-level partition, topology, network, churn or task for that line (see
 * `ScenarioVariant`). An override is read by the same reader as the top-level section, on the
 * top-level fields with the override merged in; its problems are listed under
 * `algorithms[i]` (a problem the top level has too is listed once, at the top level).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GossipflError } from '../node/errors.ts';
import { Problems, checkKnownKeys, describe, isMapping, join, numberField, parseText, stringField, suggest, type Mapping } from '../node/task/fields.ts';
import { parseChurnTrace } from './core/churn.ts';
import { validateLatency, type LatencyModel } from './core/links.ts';
import type { AttackerGroup } from './attack/spec.ts';
import { readAttackers } from './scenario/attackers.ts';
import { expandSweep } from './scenario/sweep.ts';
import { checkConfig, given, nest, readChurn, readData, readEvaluation, readNetwork, readPartition, readTask, readTopology, WHOLE_AT_LEAST_1 } from './scenario/sections.ts';
import {
  ALGORITHMS,
  MAX_LABEL_CHARS,
  MERGED_TASK_SECTIONS,
  MNIST_TEST_ROWS,
  SCENARIO_DEFAULTS,
  SCENARIO_NAME_PATTERN,
  TASK_OVERRIDE_KEYS,
  VARIANT_KEYS,
} from './scenario/types.ts';
import type { Algorithm, Scenario, ScenarioChurn, ScenarioLatency, ScenarioNetwork, ScenarioPartition, ScenarioVariant } from './scenario/types.ts';
import type { TaskManifest } from '../node/task/manifest.ts';
import type { TopologySpec } from './topology/spec.ts';

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

const TOP_KEYS = ['name', 'seed', 'peers', 'data', 'partition', 'task', 'topology', 'network', 'churn', 'algorithms', 'evaluation', 'protocolOnly', 'deltaBytes', 'versionBytes', 'presenceIntervalMs', 'attackers', 'sweep'] as const;

/** The sections an `algorithms` entry may override, each read from a mapping holding it. */
interface Readers {
  readonly partition: (root: Mapping, problems: Problems) => ScenarioPartition | undefined;
  readonly topology: (root: Mapping, problems: Problems) => TopologySpec | undefined;
  readonly network: (root: Mapping, problems: Problems) => ScenarioNetwork | undefined;
  readonly churn: (root: Mapping, problems: Problems) => ScenarioChurn | undefined;
  readonly task: (root: Mapping, problems: Problems) => TaskManifest | undefined;
  readonly attackers: (root: Mapping, problems: Problems) => readonly AttackerGroup[] | undefined;
}
type Section = keyof Readers;
type Config = { readonly [K in Section]: ReturnType<Readers[K]> };
const SECTIONS: readonly Section[] = ['partition', 'task', 'topology', 'network', 'churn', 'attackers'];

/** The top-level configuration and the problems each section (and the checks) reported. */
interface Base {
  readonly config: Config;
  readonly problems: ReadonlySet<string>;
}

function algorithmName(value: unknown, path: string, problems: Problems): Algorithm | undefined {
  if (typeof value === 'string' && (ALGORITHMS as readonly string[]).includes(value)) return value as Algorithm;
  const guess = typeof value === 'string' ? suggest(value, ALGORITHMS) : undefined;
  problems.add(path, `must be one of ${ALGORITHMS.join(', ')}, got ${describe(value)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}`);
  return undefined;
}

function labelField(entry: Mapping, path: string, problems: Problems): string | undefined {
  if (!given(entry, 'label')) return undefined;
  const label = entry['label'];
  const at = join(path, 'label');
  if (typeof label !== 'string' || label.trim() === '') problems.add(at, `must be a non-empty string, got ${describe(label)}`);
  else if ([...label].length > MAX_LABEL_CHARS) problems.add(at, `must be at most ${MAX_LABEL_CHARS} characters (the plot legends show that many), got ${[...label].length}`);
  else if (/[",\r\n]/.test(label)) problems.add(at, `must not contain commas, double quotes or line breaks (it is a CSV cell), got ${describe(label)}`);
  else return label;
  return undefined;
}

/**
 * An entry's override of `section`, as the top-level field it is merged into or replaces:
 * network is merged field by field, task section by section (see `ScenarioVariant`).
 */
function overridden(root: Mapping, entry: Mapping, section: Section, path: string, problems: Problems): unknown {
  const value = entry[section];
  const base = root[section];
  if (section === 'network' && isMapping(value) && isMapping(base)) return { ...base, ...value };
  if (section !== 'task') return value;
  if (!isMapping(value)) {
    problems.add(join(path, 'task'), `must be a mapping of task sections (${TASK_OVERRIDE_KEYS.join(', ')}), got ${describe(value)}`);
    return undefined;
  }
  if (given(value, 'data')) problems.add(join(path, 'task.data'), 'every entry uses the scenario\'s data; remove it');
  if (given(value, 'mode')) problems.add(join(path, 'task.mode'), 'remove it: the entry\'s algorithm sets the mode');
  const { data: _data, mode: _mode, ...sections } = value;
  checkKnownKeys(sections, TASK_OVERRIDE_KEYS, join(path, 'task'), problems);
  if (!isMapping(base)) return undefined;
  const merged: Record<string, unknown> = { ...base };
  for (const key of TASK_OVERRIDE_KEYS) {
    if (!given(sections, key)) continue;
    const own = sections[key];
    const under = base[key];
    merged[key] = MERGED_TASK_SECTIONS.includes(key) && isMapping(own) && isMapping(under) ? { ...under, ...own } : own;
  }
  return merged;
}

const FEDAVG_NO_PARTITIONS = "the fedavg baseline's server reaches every client: it models no network partitions";

/** What a fedavg entry cannot override: it has a fixed server and no overlay. */
function fedavgOverrides(entry: Mapping, path: string, problems: Problems): void {
  if (given(entry, 'topology')) problems.add(join(path, 'topology'), 'fedavg uses a central server, not an overlay; remove it');
  const network = entry['network'];
  if (isMapping(network) && given(network, 'partitions')) problems.add(join(path, 'network.partitions'), `${FEDAVG_NO_PARTITIONS}; remove it`);
}

/**
 * One `algorithms` entry: a name, or a mapping of overrides. Each override is read by the
 * top-level reader with the override in place of (or merged into) the top-level field; its
 * problems, and the configuration checks, are reported under `algorithms[i]` unless the top
 * level reported them already.
 */
function readEntry(
  item: unknown,
  index: number,
  root: Mapping,
  base: Base,
  readers: Readers,
  check: (config: Config, problems: Problems) => void,
  problems: Problems,
): { readonly algorithm: Algorithm | undefined; readonly label: string | undefined; readonly config: Config | undefined } {
  const path = `algorithms[${index}]`;
  if (typeof item === 'string') {
    const algorithm = algorithmName(item, path, problems);
    return { algorithm, label: algorithm, config: base.config };
  }
  if (!isMapping(item)) {
    problems.add(path, `must be an algorithm name (${ALGORITHMS.join(', ')}) or a mapping { algorithm, label?, ${SECTIONS.map((s) => `${s}?`).join(', ')} }, got ${describe(item)}`);
    return { algorithm: undefined, label: undefined, config: undefined };
  }
  checkKnownKeys(item, VARIANT_KEYS, path, problems);
  const algorithm = given(item, 'algorithm')
    ? algorithmName(item['algorithm'], join(path, 'algorithm'), problems)
    : (problems.add(join(path, 'algorithm'), `is required (one of ${ALGORITHMS.join(', ')})`), undefined);
  const label = labelField(item, path, problems);
  if (algorithm === 'fedavg') fedavgOverrides(item, path, problems);
  const own = new Problems();
  const config: Record<Section, unknown> = { ...base.config };
  for (const section of SECTIONS) {
    if (!given(item, section)) continue;
    const value = overridden(root, item, section, path, problems);
    config[section] = value === undefined ? undefined : readers[section]({ ...root, [section]: value }, own);
  }
  check(config as Config, own);
  for (const problem of own.list) if (!base.problems.has(problem)) problems.list.push(nest(path, problem));
  return { algorithm, label: given(item, 'label') ? label : algorithm, config: config as Config };
}

/** The `algorithms` list: every entry resolved, labels unique. */
function readAlgorithms(
  root: Mapping,
  base: Base,
  readers: Readers,
  check: (config: Config, problems: Problems) => void,
  problems: Problems,
): { readonly variants: ScenarioVariant[] | undefined; readonly names: readonly (Algorithm | undefined)[] } {
  const value = root['algorithms'];
  const expected = `a list of one or more of ${ALGORITHMS.join(', ')} (or mappings { algorithm, label, …overrides })`;
  if (!given(root, 'algorithms')) {
    problems.add('algorithms', `is required (${expected})`);
    return { variants: undefined, names: [] };
  }
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    problems.add('algorithms', `must be ${expected}, got ${Array.isArray(list) ? 'an empty list' : describe(value)}`);
    return { variants: undefined, names: [] };
  }
  const before = problems.list.length;
  const entries = list.map((item: unknown, index) => readEntry(item, index, root, base, readers, check, problems));
  const labelled = new Map<string, number>();
  entries.forEach(({ label }, index) => {
    if (label === undefined) return;
    const first = labelled.get(label);
    if (first === undefined) labelled.set(label, index);
    else if (typeof list[index] === 'string') {
      problems.add(`algorithms[${index}]`, `lists ${label} a second time (to compare two configurations of it, write { algorithm: ${label}, label: …, …overrides })`);
    } else {
      const explicit = isMapping(list[index]) && given(list[index], 'label');
      problems.add(`algorithms[${index}].label`, explicit ? `${JSON.stringify(label)} is already the label of algorithms[${first}]` : `is required: algorithms[${first}] is already labelled ${JSON.stringify(label)} (labels must be unique)`);
    }
  });
  const names = entries.map((entry) => entry.algorithm);
  if (problems.list.length > before) return { variants: undefined, names };
  const variants: ScenarioVariant[] = [];
  for (const { algorithm, label, config } of entries) {
    const { partition, topology, network, churn, task, attackers } = config ?? {};
    if (algorithm === undefined || label === undefined || partition === undefined || topology === undefined || network === undefined || churn === undefined || task === undefined || attackers === undefined) {
      return { variants: undefined, names };
    }
    variants.push({ label, algorithm, partition, topology, network, churn, task, attackers });
  }
  return { variants, names };
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
  const taskId = name !== undefined && SCENARIO_NAME_PATTERN.test(name) ? name : undefined;
  const readers: Readers = {
    partition: (root, into) => readPartition(root, into),
    task: (root, into) => readTask(root, taskId, data, into, source),
    topology: (root, into) => readTopology(root, into, source),
    network: (root, into) => readNetwork(root, into, peers),
    churn: (root, into) => readChurn(root, into, baseDir),
    attackers: (root, into) => readAttackers(root, into, peers, seed),
  };
  // Each top-level section reports into its own list first, so that an entry's override can
  // leave out the problems the top level already has.
  const baseProblems = new Problems();
  const config: Record<Section, unknown> = { partition: undefined, task: undefined, topology: undefined, network: undefined, churn: undefined, attackers: undefined };
  for (const section of SECTIONS) config[section] = readers[section](value, baseProblems);
  const deltaBytes = given(value, 'deltaBytes') ? numberField(value, 'deltaBytes', '', baseProblems, WHOLE_AT_LEAST_1) : undefined;
  const versionBytes = given(value, 'versionBytes') ? numberField(value, 'versionBytes', '', baseProblems, WHOLE_AT_LEAST_1) : undefined;
  const presenceIntervalMs = numberField(value, 'presenceIntervalMs', '', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.presenceIntervalMs);
  const check = (each: Config, into: Problems) => checkConfig(each, { peers, data, protocolOnly, deltaBytes }, into);
  const sectionProblems = baseProblems.list.length;
  check(config as Config, baseProblems);
  problems.list.push(...baseProblems.list.slice(0, sectionProblems));
  const base: Base = { config: config as Config, problems: new Set(baseProblems.list) };
  const swept = expandSweep(value, problems, {
    attackers: (raw, path, into) => readAttackers({ attackers: raw }, into, peers, seed, 'attackers', path),
    aggregation: (aggregation, path, into) => {
      const own = new Problems();
      readers.task({ ...value, task: { ...(isMapping(value['task']) ? value['task'] : {}), aggregation } }, own);
      const mine = own.list.filter((problem) => problem.startsWith('task.aggregation'));
      into.list.push(...mine.map((problem) => `${path}${problem.slice('task.aggregation'.length)}`));
      return mine.length === 0;
    },
  });
  const { variants, names } =
    swept === undefined ? { variants: undefined, names: [] } : readAlgorithms({ ...value, algorithms: swept.algorithms }, base, readers, check, problems);
  const sweepPoints = swept?.points ?? [];
  const evaluation = readEvaluation(value, problems);

  // Cross-field checks.
  if (protocolOnly === true && !given(value, 'deltaBytes')) problems.add('deltaBytes', 'is required when protocolOnly is true (the size of each synthetic delta in bytes)');
  if (protocolOnly === false && given(value, 'deltaBytes')) problems.add('deltaBytes', 'applies to protocol-only runs only; remove it or set protocolOnly: true');
  if (protocolOnly === true && given(value, 'evaluation')) problems.add('evaluation', 'protocol-only runs do not train or evaluate; remove it');
  if (protocolOnly !== true && given(value, 'versionBytes')) problems.add('versionBytes', 'applies to protocol-only runs only; remove it or set protocolOnly: true');
  for (const [index, variant] of (variants ?? []).entries()) {
    const where = variant.churn === (config as Config).churn ? 'churn' : `algorithms[${index}].churn`;
    if (variant.churn.kind === 'curator-crash' && variant.algorithm !== 'curator') problems.add(where, `curator-crash applies to the curator algorithm only, not ${variant.algorithm} (line "${variant.label}")`);
    if (variant.algorithm === 'fedavg' && variant.network === (config as Config).network && variant.network.partitions.length > 0) {
      problems.add('network.partitions', `${FEDAVG_NO_PARTITIONS} (line "${variant.label}"); give the other lines their own network instead`);
    }
    if (protocolOnly === true && variant.algorithm === 'fedavg') problems.add(`algorithms[${index}]`, 'the fedavg baseline trains a real model: it cannot run protocol-only');
    if (variant.attackers.length > 0) {
      const where = variant.attackers === (config as Config).attackers ? 'attackers' : `algorithms[${index}].attackers`;
      if (variant.algorithm !== 'curator') problems.add(where, `hostile peers run in the curator algorithm only, not ${variant.algorithm} (line "${variant.label}")`);
      if (protocolOnly === true) problems.add(where, `protocol-only peers train nothing, so there is no delta to poison (line "${variant.label}"); remove the attackers or protocolOnly`);
    }
  }
  if (names.length > 0 && given(value, 'topology') && names.every((algorithm) => algorithm === 'fedavg')) {
    problems.add('topology', 'fedavg uses a central server, not an overlay; remove the topology or add curator or gossip to algorithms');
  }
  problems.list.push(...baseProblems.list.slice(sectionProblems));
  if (protocolOnly === false && evaluation !== undefined && data !== undefined && 'builtin' in data && evaluation.testSamples > MNIST_TEST_ROWS) {
    problems.add('evaluation.testSamples', `is ${evaluation.testSamples}, but ${data.builtin} holds out about ${MNIST_TEST_ROWS} test samples`);
  }

  if (problems.list.length > 0) throw new ScenarioError(source, problems.list);
  const { partition, task, topology, network, churn, attackers } = config as Config;
  if (
    attackers === undefined ||
    name === undefined || seed === undefined || peers === undefined || protocolOnly === undefined || data === undefined || partition === undefined ||
    task === undefined || topology === undefined || network === undefined || churn === undefined || variants === undefined || evaluation === undefined
  ) {
    throw new ScenarioError(source, ['internal error: a field failed validation without a reported problem']);
  }
  for (const [index, variant] of variants.entries()) {
    if (variant.network.latency.kind === 'regions') continue;
    try {
      validateLatency(variant.network.latency);
    } catch (error) {
      const path = variant.network.latency === network.latency ? 'network.latency' : `algorithms[${index}].network.latency`;
      throw new ScenarioError(source, [`${path}: ${(error as Error).message}`]);
    }
  }
  const lines = variants.map((variant, index) => (sweepPoints[index] === undefined ? variant : { ...variant, sweep: sweepPoints[index] }));
  return { name, seed, peers, data, partition, task, topology, network, churn, attackers, algorithms: lines, evaluation, protocolOnly, deltaBytes: deltaBytes ?? null, versionBytes: versionBytes ?? null, presenceIntervalMs: presenceIntervalMs ?? SCENARIO_DEFAULTS.presenceIntervalMs };
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
