/**
 * Readers for the sections of a scenario file (data, partition, task, topology, network, churn,
 * evaluation) and the checks of one configuration against the number of peers. Each reader
 * adds every problem it finds, with its field path, to a `Problems` and returns the defaulted
 * value, or undefined when the section has a problem. The readers take the mapping that holds
 * the section, so an `algorithms` entry's override is read by the same code (see
 * `../scenario.ts`).
 */
import { isAbsolute, resolve } from 'node:path';
import { GossipflError } from '../../node/errors.ts';
import { BUILTIN_DATASETS, TASK_MANIFEST_VERSION, TaskManifestError, validateTaskManifest, type TaskManifest } from '../../node/task/manifest.ts';
import { parseTopologySpec, type TopologySpec } from '../topology/spec.ts';
import {
  Problems,
  checkKnownKeys,
  choiceField,
  describe,
  isMapping,
  join,
  mappingField,
  numberField,
  optionalNumber,
  stringField,
  suggest,
  type Mapping,
} from '../../node/task/fields.ts';
import type {
  ScenarioChurn,
  ScenarioData,
  ScenarioEvaluation,
  ScenarioLatency,
  ScenarioNetwork,
  ScenarioPartition,
  ScenarioPartitionEvent,
} from './types.ts';
import { MNIST_TRAIN_ROWS, SCENARIO_DEFAULTS } from './types.ts';

export const WHOLE_AT_LEAST_1 = { integer: true, min: 1, expected: 'a whole number ≥ 1' } as const;
const NON_NEGATIVE = { min: 0, expected: 'a number ≥ 0' } as const;
const NON_NEGATIVE_MS = { min: 0, expected: 'a time in ms ≥ 0' } as const;
const POSITIVE = { above: 0, expected: 'a positive number' } as const;

export const given = (parent: Mapping, key: string): boolean => parent[key] !== undefined && parent[key] !== null;

/** "path: message" problems of a nested validator, re-rooted under `prefix`. */
export function nest(prefix: string, problem: string): string {
  const match = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*): ([\s\S]*)$/.exec(problem);
  return match === null ? `${prefix}: ${problem}` : `${prefix}.${match[1] as string}: ${match[2] as string}`;
}

/** Resolves a path written in the scenario against the scenario file's folder. */
export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * A `{ kind: … }` section (a bare string is shorthand for `{ kind: string }`): the mapping and
 * its kind, or undefined with a problem (with a suggestion for a misspelt kind).
 */
function kindOf<K extends string>(value: unknown, path: string, kinds: readonly K[], problems: Problems): { readonly section: Mapping; readonly kind: K } | undefined {
  const section = typeof value === 'string' ? { kind: value } : value;
  if (!isMapping(section)) {
    problems.add(path, `must be a mapping with a "kind" (one of ${kinds.join(', ')}), got ${describe(value)}`);
    return undefined;
  }
  const kind = section['kind'];
  if (typeof kind !== 'string' || !(kinds as readonly string[]).includes(kind)) {
    const guess = typeof kind === 'string' ? suggest(kind, kinds) : undefined;
    problems.add(
      join(path, 'kind'),
      kind === undefined || kind === null
        ? `is required (one of ${kinds.join(', ')})`
        : `must be one of ${kinds.join(', ')}, got ${describe(kind)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}`,
    );
    return undefined;
  }
  return { section, kind: kind as K };
}

function stringList(value: unknown, path: string, problems: Problems, what: string, minLength: number): string[] | undefined {
  if (!Array.isArray(value) || value.length < minLength) {
    problems.add(path, `must be a list of at least ${minLength} ${what}, got ${Array.isArray(value) ? `${value.length}` : describe(value)}`);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  value.forEach((item: unknown, index) => {
    if (typeof item === 'string' && item !== '') out.push(item);
    else if (typeof item === 'number' && Number.isSafeInteger(item)) out.push(String(item));
    else {
      problems.add(join(path, index), `must be a non-empty string, got ${describe(item)}`);
      ok = false;
    }
  });
  const duplicates = out.filter((item, index) => out.indexOf(item) !== index);
  if (duplicates.length > 0) {
    problems.add(path, `lists ${[...new Set(duplicates)].map((d) => JSON.stringify(d)).join(', ')} more than once`);
    ok = false;
  }
  return ok ? out : undefined;
}

export function readData(root: Mapping, problems: Problems, baseDir: string, required: boolean): ScenarioData | undefined {
  const data = mappingField(root, 'data', '', problems, required);
  if (data === undefined) return required ? undefined : { builtin: SCENARIO_DEFAULTS.data.builtin };
  if (given(data, 'builtin') || !given(data, 'csv')) {
    if (!given(data, 'builtin')) {
      checkKnownKeys(data, ['builtin', 'csv', 'labelColumn', 'classes', 'featureColumns', 'featureCount', 'minSamples'], 'data', problems);
      problems.add('data', `give "builtin" (${BUILTIN_DATASETS.join(', ')}) or "csv" (a CSV file path)`);
      return undefined;
    }
    checkKnownKeys(data, ['builtin'], 'data', problems);
    const builtin = choiceField(data, 'builtin', 'data', problems, BUILTIN_DATASETS);
    return builtin === undefined ? undefined : { builtin };
  }
  checkKnownKeys(data, ['csv', 'labelColumn', 'classes', 'featureColumns', 'featureCount', 'minSamples'], 'data', problems);
  const csv = stringField(data, 'csv', 'data', problems, true);
  const labelColumn = stringField(data, 'labelColumn', 'data', problems, true);
  const classes = given(data, 'classes') ? stringList(data['classes'], 'data.classes', problems, 'label values', 2) : undefined;
  if (!given(data, 'classes')) problems.add('data.classes', 'is required (the label values, in class order)');
  const minSamples = numberField(data, 'minSamples', 'data', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.data.minSamples);
  let featureColumns: string[] | undefined;
  let featureCount = optionalNumber(data, 'featureCount', 'data', problems, WHOLE_AT_LEAST_1);
  let ok = csv !== undefined && labelColumn !== undefined && classes !== undefined && minSamples !== undefined;
  if (given(data, 'featureCount') && featureCount === undefined) ok = false;
  if (given(data, 'featureColumns')) {
    featureColumns = stringList(data['featureColumns'], 'data.featureColumns', problems, 'column names', 1);
    if (featureColumns === undefined) ok = false;
    else {
      if (featureCount !== undefined && featureCount !== featureColumns.length) {
        problems.add('data.featureCount', `is ${featureCount} but featureColumns lists ${featureColumns.length} columns`);
        ok = false;
      }
      if (labelColumn !== undefined && featureColumns.includes(labelColumn)) {
        problems.add('data.featureColumns', `includes the label column ${JSON.stringify(labelColumn)}`);
        ok = false;
      }
      featureCount = featureColumns.length;
    }
  } else if (!given(data, 'featureCount')) {
    problems.add('data', 'give "featureColumns" (the feature column names) or "featureCount" (all columns but the label)');
    ok = false;
  }
  if (!ok || csv === undefined || labelColumn === undefined || classes === undefined || minSamples === undefined || featureCount === undefined) return undefined;
  return {
    csv: resolvePath(baseDir, csv),
    schema: { featureCount, classes, labelColumn, ...(featureColumns === undefined ? {} : { featureColumns }), minSamples },
  };
}

const PARTITION_KINDS = ['iid', 'dirichlet', 'shards', 'quantity'] as const;

export function readPartition(root: Mapping, problems: Problems): ScenarioPartition | undefined {
  if (!given(root, 'partition')) return { kind: 'iid' };
  const found = kindOf(root['partition'], 'partition', PARTITION_KINDS, problems);
  if (found === undefined) return undefined;
  const { section, kind } = found;
  switch (kind) {
    case 'iid':
      checkKnownKeys(section, ['kind'], 'partition', problems);
      return { kind };
    case 'dirichlet':
    case 'quantity': {
      checkKnownKeys(section, ['kind', 'alpha', 'minPerClient'], 'partition', problems);
      const alpha = numberField(section, 'alpha', 'partition', problems, POSITIVE);
      const minPerClient = numberField(section, 'minPerClient', 'partition', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.minPerClient);
      return alpha === undefined || minPerClient === undefined ? undefined : { kind, alpha, minPerClient };
    }
    case 'shards': {
      checkKnownKeys(section, ['kind', 'shardsPerClient'], 'partition', problems);
      const shardsPerClient = numberField(section, 'shardsPerClient', 'partition', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.shardsPerClient);
      return shardsPerClient === undefined ? undefined : { kind, shardsPerClient };
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

const LATENCY_KINDS = ['constant', 'uniform', 'lognormal', 'regions'] as const;

function readRegionsLatency(section: Mapping, path: string, problems: Problems, peers: number | undefined): ScenarioLatency | undefined {
  checkKnownKeys(section, ['kind', 'regionOf', 'matrix', 'jitter'], path, problems);
  const regionOfPath = join(path, 'regionOf');
  let regionOf: string[] | undefined;
  const rawRegions = section['regionOf'];
  if (!given(section, 'regionOf')) problems.add(regionOfPath, 'is required (the region of each peer, a list in peer order)');
  else if (!Array.isArray(rawRegions) || rawRegions.some((r) => typeof r !== 'string' || r === '')) {
    problems.add(regionOfPath, `must be a list of region names, one per peer, got ${describe(rawRegions)}`);
  } else {
    regionOf = rawRegions as string[];
    if (peers !== undefined && regionOf.length !== peers) {
      problems.add(regionOfPath, `lists ${regionOf.length} regions but there are ${peers} peers (give one region per peer)`);
      regionOf = undefined;
    }
  }
  const matrixPath = join(path, 'matrix');
  const rawMatrix = mappingField(section, 'matrix', path, problems, true);
  let matrix: Record<string, Record<string, number>> | undefined;
  if (rawMatrix !== undefined) {
    matrix = {};
    for (const [a, row] of Object.entries(rawMatrix)) {
      if (!isMapping(row)) {
        problems.add(join(matrixPath, a), `must be a mapping of region → ms, got ${describe(row)}`);
        matrix = undefined;
        continue;
      }
      const parsed: Record<string, number> = {};
      for (const b of Object.keys(row)) {
        const ms = numberField(row, b, join(matrixPath, a), problems, NON_NEGATIVE_MS);
        if (ms === undefined) matrix = undefined;
        else parsed[b] = ms;
      }
      if (matrix !== undefined) matrix[a] = parsed;
    }
  }
  const jitter = optionalNumber(section, 'jitter', path, problems, { min: 0, max: 0.999999, expected: 'a fraction in [0, 1)' });
  if (regionOf === undefined || matrix === undefined || (given(section, 'jitter') && jitter === undefined)) return undefined;
  const used = [...new Set(regionOf)];
  let ok = true;
  used.forEach((a, i) => {
    for (const b of used.slice(i)) {
      if (matrix[a]?.[b] === undefined && matrix[b]?.[a] === undefined) {
        problems.add(matrixPath, `has no latency between regions ${JSON.stringify(a)} and ${JSON.stringify(b)} (add matrix.${a}.${b})`);
        ok = false;
      }
    }
  });
  if (!ok) return undefined;
  return { kind: 'regions', regionOf, matrix, ...(jitter === undefined ? {} : { jitter }) };
}

function readLatency(network: Mapping, problems: Problems, peers: number | undefined): ScenarioLatency | undefined {
  const path = 'network.latency';
  if (!given(network, 'latency')) return SCENARIO_DEFAULTS.latency;
  const found = kindOf(network['latency'], path, LATENCY_KINDS, problems);
  if (found === undefined) return undefined;
  const { section, kind } = found;
  switch (kind) {
    case 'constant': {
      checkKnownKeys(section, ['kind', 'ms'], path, problems);
      const ms = numberField(section, 'ms', path, problems, NON_NEGATIVE_MS);
      return ms === undefined ? undefined : { kind, ms };
    }
    case 'uniform': {
      checkKnownKeys(section, ['kind', 'min', 'max'], path, problems);
      const min = numberField(section, 'min', path, problems, NON_NEGATIVE_MS);
      const max = numberField(section, 'max', path, problems, NON_NEGATIVE_MS);
      if (min === undefined || max === undefined) return undefined;
      if (max < min) {
        problems.add(join(path, 'max'), `must be ≥ min (${min}), got ${max}`);
        return undefined;
      }
      return { kind, min, max };
    }
    case 'lognormal': {
      checkKnownKeys(section, ['kind', 'mu', 'sigma'], path, problems);
      const mu = numberField(section, 'mu', path, problems, { expected: 'a finite number' });
      const sigma = numberField(section, 'sigma', path, problems, NON_NEGATIVE);
      return mu === undefined || sigma === undefined ? undefined : { kind, mu, sigma };
    }
    case 'regions':
      return readRegionsLatency(section, path, problems, peers);
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

function bandwidthField(network: Mapping, key: string, problems: Problems): number | null | undefined {
  if (!given(network, key)) return null;
  return numberField(network, key, 'network', problems, POSITIVE);
}

function readGroups(value: unknown, path: string, problems: Problems, peers: number | undefined): number[][] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(path, `must be a list of groups (lists of peer indices), got ${describe(value)}`);
    return undefined;
  }
  const seen = new Map<number, number>();
  const groups: number[][] = [];
  let ok = true;
  value.forEach((group: unknown, g) => {
    const groupPath = join(path, g);
    if (!Array.isArray(group) || group.length === 0) {
      problems.add(groupPath, `must be a non-empty list of peer indices, got ${describe(group)}`);
      ok = false;
      return;
    }
    const indices: number[] = [];
    group.forEach((index: unknown, i) => {
      const at = join(groupPath, i);
      if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
        problems.add(at, `must be a peer index (a whole number ≥ 0), got ${describe(index)}`);
        ok = false;
      } else if (peers !== undefined && index >= peers) {
        problems.add(at, `is peer ${index}, but peers are numbered 0..${peers - 1}`);
        ok = false;
      } else if (seen.has(index)) {
        problems.add(at, `peer ${index} is already in group ${seen.get(index)}`);
        ok = false;
      } else {
        seen.set(index, g);
        indices.push(index);
      }
    });
    groups.push(indices);
  });
  return ok ? groups : undefined;
}

function readPartitions(network: Mapping, problems: Problems, peers: number | undefined): ScenarioPartitionEvent[] | undefined {
  const path = 'network.partitions';
  const value = network['partitions'];
  if (!given(network, 'partitions')) return [];
  if (!Array.isArray(value)) {
    problems.add(path, `must be a list of { at, groups } and { heal } events, got ${describe(value)}`);
    return undefined;
  }
  const events: ScenarioPartitionEvent[] = [];
  let ok = true;
  let last = -Infinity;
  let partitioned = false;
  value.forEach((item: unknown, index) => {
    const at = join(path, index);
    if (!isMapping(item)) {
      problems.add(at, `must be { at: ms, groups: [[peer, …], …] } or { heal: ms }, got ${describe(item)}`);
      ok = false;
      return;
    }
    let event: ScenarioPartitionEvent | undefined;
    let time: number | undefined;
    if (given(item, 'heal')) {
      checkKnownKeys(item, ['heal'], at, problems);
      time = numberField(item, 'heal', at, problems, NON_NEGATIVE_MS);
      if (time !== undefined) event = { kind: 'heal', at: time };
      if (!partitioned) problems.add(at, 'heals, but no partition is in effect at that point');
      partitioned = false;
    } else {
      checkKnownKeys(item, ['at', 'groups', 'heal'], at, problems);
      time = numberField(item, 'at', at, problems, NON_NEGATIVE_MS);
      const groups = given(item, 'groups') ? readGroups(item['groups'], join(at, 'groups'), problems, peers) : undefined;
      if (!given(item, 'groups')) problems.add(join(at, 'groups'), 'is required (lists of peer indices; peers in no group form one more group)');
      if (time !== undefined && groups !== undefined) event = { kind: 'partition', at: time, groups };
      partitioned = true;
    }
    if (time !== undefined) {
      if (time < last) {
        problems.add(at, `happens at ${time} ms, before the previous event (${last} ms); list events in time order`);
        ok = false;
      }
      last = time;
    }
    if (event === undefined) ok = false;
    else events.push(event);
  });
  return ok ? events : undefined;
}

export function readNetwork(root: Mapping, problems: Problems, peers: number | undefined): ScenarioNetwork | undefined {
  const network = mappingField(root, 'network', '', problems, false) ?? {};
  checkKnownKeys(network, ['latency', 'dropProbability', 'uploadBps', 'downloadBps', 'partitions'], 'network', problems);
  const latency = readLatency(network, problems, peers);
  const dropProbability = numberField(network, 'dropProbability', 'network', problems, { min: 0, max: 1, expected: 'a probability in [0, 1]' }, SCENARIO_DEFAULTS.dropProbability);
  const uploadBps = bandwidthField(network, 'uploadBps', problems);
  const downloadBps = bandwidthField(network, 'downloadBps', problems);
  const partitions = readPartitions(network, problems, peers);
  if (latency === undefined || dropProbability === undefined || uploadBps === undefined || downloadBps === undefined || partitions === undefined) return undefined;
  return { latency, dropProbability, uploadBps, downloadBps, partitions };
}

const CHURN_KINDS = ['always-on', 'sessions', 'crash', 'trace', 'curator-crash'] as const;

export function readChurn(root: Mapping, problems: Problems, baseDir: string): ScenarioChurn | undefined {
  if (!given(root, 'churn')) return { kind: 'always-on' };
  const found = kindOf(root['churn'], 'churn', CHURN_KINDS, problems);
  if (found === undefined) return undefined;
  const { section, kind } = found;
  switch (kind) {
    case 'always-on':
      checkKnownKeys(section, ['kind'], 'churn', problems);
      return { kind };
    case 'sessions': {
      checkKnownKeys(section, ['kind', 'online', 'meanSessionMs', 'sigma', 'meanOfflineMs'], 'churn', problems);
      const online = numberField(section, 'online', 'churn', problems, { above: 0, max: 1, expected: 'a fraction in (0, 1]' });
      const meanSessionMs = numberField(section, 'meanSessionMs', 'churn', problems, { above: 0, expected: 'a time in ms > 0' });
      const sigma = numberField(section, 'sigma', 'churn', problems, NON_NEGATIVE, SCENARIO_DEFAULTS.sessionSigma);
      const meanOfflineMs = optionalNumber(section, 'meanOfflineMs', 'churn', problems, { above: 0, expected: 'a time in ms > 0' });
      if (online === undefined || meanSessionMs === undefined || sigma === undefined || (given(section, 'meanOfflineMs') && meanOfflineMs === undefined)) return undefined;
      return { kind, online, meanSessionMs, sigma, ...(meanOfflineMs === undefined ? {} : { meanOfflineMs }) };
    }
    case 'crash': {
      checkKnownKeys(section, ['kind', 'fraction', 'at'], 'churn', problems);
      const fraction = numberField(section, 'fraction', 'churn', problems, { above: 0, max: 1, expected: 'a fraction in (0, 1]' });
      const at = optionalNumber(section, 'at', 'churn', problems, NON_NEGATIVE_MS);
      if (fraction === undefined || (given(section, 'at') && at === undefined)) return undefined;
      return { kind, fraction, at: at ?? null };
    }
    case 'trace': {
      checkKnownKeys(section, ['kind', 'path'], 'churn', problems);
      const path = stringField(section, 'path', 'churn', problems, true);
      return path === undefined ? undefined : { kind, path: resolvePath(baseDir, path) };
    }
    case 'curator-crash': {
      checkKnownKeys(section, ['kind', 'probability', 'downMs'], 'churn', problems);
      const probability = numberField(section, 'probability', 'churn', problems, { min: 0, max: 1, expected: 'a probability in [0, 1]' });
      const downMs = numberField(section, 'downMs', 'churn', problems, NON_NEGATIVE_MS);
      return probability === undefined || downMs === undefined ? undefined : { kind, probability, downMs };
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

export function readEvaluation(root: Mapping, problems: Problems): ScenarioEvaluation | undefined {
  const evaluation = mappingField(root, 'evaluation', '', problems, false) ?? {};
  checkKnownKeys(evaluation, ['testSamples', 'everyRounds'], 'evaluation', problems);
  const testSamples = numberField(evaluation, 'testSamples', 'evaluation', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.testSamples);
  const everyRounds = numberField(evaluation, 'everyRounds', 'evaluation', problems, WHOLE_AT_LEAST_1, SCENARIO_DEFAULTS.everyRounds);
  return testSamples === undefined || everyRounds === undefined ? undefined : { testSamples, everyRounds };
}

/**
 * The task: a task manifest body validated by `validateTaskManifest` (version and id filled in,
 * the scenario's data as its data), with its problems under `task`.
 */
export function readTask(root: Mapping, id: string | undefined, data: ScenarioData | undefined, problems: Problems, source: string): TaskManifest | undefined {
  const value = root['task'];
  if (!given(root, 'task')) {
    problems.add('task', 'is required (a task manifest body: model, stopping, and optionally training, cohort, aggregation, timing, encoding, gossip)');
    return undefined;
  }
  if (!isMapping(value)) {
    problems.add('task', `must be a mapping of fields, got ${describe(value)}`);
    return undefined;
  }
  if (given(value, 'data')) problems.add('task.data', 'set the data at the top level of the scenario (data:), not in the task');
  if (given(value, 'mode')) problems.add('task.mode', "remove it: each of the scenario's algorithms sets the mode");
  const { data: _data, mode: _mode, ...rest } = value;
  const body: Record<string, unknown> = {
    version: TASK_MANIFEST_VERSION,
    id: id ?? 'scenario-task',
    ...rest,
    data: data === undefined ? { builtin: 'mnist' } : 'builtin' in data ? { builtin: data.builtin } : data.schema,
  };
  try {
    // Even with a problem in task.data, task.mode or data (already recorded, so the parse
    // fails), the task is returned so that the cross-field checks still run on it.
    return validateTaskManifest(body, source);
  } catch (error) {
    if (!(error instanceof TaskManifestError)) throw error;
    for (const problem of error.problems) problems.list.push(nest('task', problem));
    return undefined;
  }
}

export function readTopology(root: Mapping, problems: Problems, source: string): TopologySpec | undefined {
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

/** What one configuration runs with (the top level, or an `algorithms` entry); undefined where invalid. */
export interface ConfigSections {
  readonly partition: ScenarioPartition | undefined;
  readonly topology: TopologySpec | undefined;
  readonly task: TaskManifest | undefined;
}

/** Checks one configuration against the number of peers, the data and the protocol-only delta size. */
export function checkConfig(
  config: ConfigSections,
  scenario: { readonly peers: number | undefined; readonly data: ScenarioData | undefined; readonly protocolOnly: boolean | undefined; readonly deltaBytes: number | undefined },
  problems: Problems,
): void {
  const { partition, topology, task } = config;
  const { peers, data, protocolOnly, deltaBytes } = scenario;
  if (deltaBytes !== undefined && task !== undefined && deltaBytes > task.timing.maxBlobBytes) {
    problems.add('deltaBytes', `is ${deltaBytes}, more than task.timing.maxBlobBytes (${task.timing.maxBlobBytes})`);
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
}
