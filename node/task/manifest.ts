/**
 * Task manifests: what a federation trains (model, data schema, training plan, stopping rule,
 * cohort, aggregation, timing, encoding, mode, gossip), read from YAML or JSON. Parsing reports every
 * problem at once with its field path, rejects unknown fields, and fills the defaults that the
 * doc comments below state (this file is the one place the defaults are defined).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readStrategyParameters, STRATEGY_NAMES, type StrategyName, type StrategyParameters } from '../aggregate/index.ts';
import { GossipflError } from '../errors.ts';
import { MNIST_SCHEMA } from '../learn/data/mnist.ts';
import type { DataSchema } from '../learn/data/schema.ts';
import { PRESETS, isPresetName, type ModelSpec, type PresetName } from '../learn/model.ts';
import { OPTIMIZERS, planProblems, type OptimizerName, type TrainingPlan } from '../learn/trainer.ts';
import { ENCODINGS, type WeightsEncoding } from '../learn/weights/index.ts';
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
  parseText,
  stringField,
  type Mapping,
} from './fields.ts';
import { GOSSIP_NEIGHBOURS_DEFAULT, readGossip, type TaskGossip } from './gossip-section.ts';
import { readAudit, type TaskAudit } from './audit-section.ts';

export type { TaskGossip } from './gossip-section.ts';
export type { TaskAudit } from './audit-section.ts';

export const TASK_MANIFEST_VERSION = 1;
export const TASK_MODES = ['curator', 'gossip'] as const;
export type TaskMode = (typeof TASK_MODES)[number];
export const BUILTIN_DATASETS = ['mnist'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];
/** Task ids: lowercase slug, 3–64 characters, starting with a letter or digit. */
export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Defaults filled in by `parseTaskManifest`; each is also stated on its field below. */
export const TASK_DEFAULTS = {
  seed: 0,
  minSamples: 1,
  epochs: 1,
  batchSize: 32,
  optimizer: 'adam',
  learningRate: { adam: 0.003, sgd: 0.05 },
  fraction: 1,
  minPeers: 2,
  /** Each strategy's own parameters and their defaults are in its file under node/aggregate/. */
  strategy: 'fedavg',
  collectionWindowMs: 60_000,
  curatorDeadlineMs: 120_000,
  maxBlobBytes: 64 * 1024 * 1024,
  encoding: 'int8',
  mode: 'curator',
  gossipNeighbours: GOSSIP_NEIGHBOURS_DEFAULT,
} as const;

/**
 * The model every peer builds. `seed` (integer, default 0) seeds a preset's initial weights,
 * so all peers start from identical weights.
 */
export type TaskModel =
  | { readonly preset: PresetName; readonly seed: number }
  /**
   * A TF.js layers model.json, exactly as written in the manifest: a relative path is relative
   * to the folder holding the manifest (or signed task) file; `taskModelSpec` resolves it. Its
   * initial weights come from its own weight files, not from `seed`.
   */
  | { readonly layers: string; readonly seed: number };

/** `{ builtin: mnist }` (which implies `MNIST_SCHEMA`), or a `DataSchema` (minSamples default 1). */
export type TaskData = { readonly builtin: BuiltinDataset } | DataSchema;

/** When the federation stops: at least one of the two. */
export interface TaskStopping {
  /** Stop after this many rounds (whole number ≥ 1). */
  readonly rounds?: number;
  /** Stop once evaluated accuracy reaches this, in (0, 1]. */
  readonly targetAccuracy?: number;
}

export interface TaskCohort {
  /** Share of live peers picked to train each round, in (0, 1]. Default 1. */
  readonly fraction: number;
  /** Fewest peers a round needs, whole number ≥ 1. Default 2. */
  readonly minPeers: number;
}

/**
 * `strategy` (default fedavg) and its parameters, every default filled in: the keys, rules and
 * defaults are the strategy's own (node/aggregate/<strategy>.ts, PROTOCOL §7.8), e.g.
 * `serverLearningRate` and `momentum` for fedavgm, `trimFraction` for trimmed-mean.
 */
export type TaskAggregation = StrategyParameters & {
  readonly strategy: StrategyName;
  /** L2 norm bound for every strategy: a delta with a larger norm is rejected by the curator. Default: no bound. */
  readonly maxDeltaNorm?: number;
  /**
   * Update evaluation before averaging, for every strategy: a curator with validation rows leaves
   * out a delta whose validation loss exceeds the median of the round's deltas' by more than this
   * (≥ 0). Weak under label skew. Default: off.
   */
  readonly validationLossMargin?: number;
};

/** Times in milliseconds, sizes in bytes; all whole numbers ≥ 1. */
export interface TaskTiming {
  /** How long the curator collects deltas after training starts. Default 60,000. */
  readonly collectionWindowMs: number;
  /** How long peers wait for a new version before the next standby takes over; must exceed collectionWindowMs. Default 120,000. */
  readonly curatorDeadlineMs: number;
  /** Size limit for any blob (delta, version) of this task. Default 64 MiB (67,108,864). */
  readonly maxBlobBytes: number;
}

/**
 * A validated task manifest with every default filled in. It is plain data (its own JSON
 * document form): the signed form and the task hash are computed from it directly.
 */
export interface TaskManifest {
  readonly version: typeof TASK_MANIFEST_VERSION;
  /** Lowercase slug, 3–64 characters of `[a-z0-9-]`, starting with a letter or digit. */
  readonly id: string;
  readonly description?: string;
  readonly model: TaskModel;
  readonly data: TaskData;
  /** epochs (default 1), batchSize (32), optimizer (adam), learningRate (0.003 for adam, 0.05 for sgd), learningRateDecay (absent: 0). */
  readonly training: TrainingPlan;
  readonly stopping: TaskStopping;
  readonly cohort: TaskCohort;
  readonly aggregation: TaskAggregation;
  readonly timing: TaskTiming;
  /** Delta encoding on the wire: f32 | f16 | int8. Default int8. */
  readonly encoding: WeightsEncoding;
  /** curator | gossip. Default curator. */
  readonly mode: TaskMode;
  /** Read in gossip mode only; absent when not given (then `neighbours` is 1 and the merge is the age-weighted average). */
  readonly gossip?: TaskGossip;
  /** Curator mode only; absent when not given (then AUDITORS_DEFAULT auditors per version). */
  readonly audit?: TaskAudit;
}

/** A manifest that cannot be used; `problems` lists every problem found, each with its field path. */
export class TaskManifestError extends GossipflError {
  override name = 'TaskManifestError';
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: task manifest has ${count}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.source = source;
    this.problems = problems;
  }
}

const TOP_KEYS = ['version', 'id', 'description', 'model', 'data', 'training', 'stopping', 'cohort', 'aggregation', 'timing', 'encoding', 'mode', 'gossip', 'audit'] as const;
const WHOLE_AT_LEAST_1 = { integer: true, min: 1, expected: 'a whole number ≥ 1' } as const;
const POSITIVE = { above: 0, expected: 'a positive number' } as const;
const UNIT_INTERVAL = { above: 0, max: 1, expected: 'a number in (0, 1]' } as const;

function readModel(root: Mapping, problems: Problems): TaskModel | undefined {
  const model = mappingField(root, 'model', '', problems, true);
  if (model === undefined) return undefined;
  checkKnownKeys(model, ['preset', 'layers', 'seed'], 'model', problems);
  const seed = numberField(model, 'seed', 'model', problems, { integer: true, expected: 'a whole number' }, TASK_DEFAULTS.seed);
  const hasPreset = model['preset'] !== undefined && model['preset'] !== null;
  const hasLayers = model['layers'] !== undefined && model['layers'] !== null;
  if (hasPreset === hasLayers) {
    problems.add('model', `give exactly one of "preset" (${Object.keys(PRESETS).join(', ')}) or "layers" (a TF.js model.json path)`);
    return undefined;
  }
  if (hasPreset) {
    const preset = model['preset'];
    if (typeof preset !== 'string' || !isPresetName(preset)) {
      problems.add('model.preset', `must be one of ${Object.keys(PRESETS).join(', ')}, got ${describe(preset)}`);
      return undefined;
    }
    return seed === undefined ? undefined : { preset, seed };
  }
  const layers = stringField(model, 'layers', 'model', problems, true);
  return layers === undefined || seed === undefined ? undefined : { layers, seed };
}

function readClasses(data: Mapping, problems: Problems): string[] | undefined {
  const value = data['classes'];
  if (value === undefined || value === null) {
    problems.add('data.classes', 'is required (the label values, in class order)');
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 2) {
    problems.add('data.classes', `must be a list of at least 2 label values, got ${Array.isArray(value) ? `${value.length}` : describe(value)}`);
    return undefined;
  }
  const classes: string[] = [];
  let ok = true;
  value.forEach((item: unknown, index) => {
    if (typeof item === 'string' && item !== '') classes.push(item);
    else if (typeof item === 'number' && Number.isSafeInteger(item)) classes.push(String(item));
    else {
      problems.add(join('data.classes', index), `must be a label string (quote labels such as "1.0"), got ${describe(item)}`);
      ok = false;
    }
  });
  const duplicates = classes.filter((item, index) => classes.indexOf(item) !== index);
  if (duplicates.length > 0) {
    problems.add('data.classes', `lists ${[...new Set(duplicates)].map((d) => JSON.stringify(d)).join(', ')} more than once`);
    ok = false;
  }
  return ok ? classes : undefined;
}

function readData(root: Mapping, problems: Problems): TaskData | undefined {
  const data = mappingField(root, 'data', '', problems, true);
  if (data === undefined) return undefined;
  if (data['builtin'] !== undefined) {
    checkKnownKeys(data, ['builtin'], 'data', problems);
    const builtin = choiceField(data, 'builtin', 'data', problems, BUILTIN_DATASETS);
    return builtin === undefined ? undefined : { builtin };
  }
  checkKnownKeys(data, ['builtin', 'featureCount', 'classes', 'labelColumn', 'featureColumns', 'minSamples'], 'data', problems);
  const featureCount = numberField(data, 'featureCount', 'data', problems, WHOLE_AT_LEAST_1);
  const classes = readClasses(data, problems);
  const labelColumn = stringField(data, 'labelColumn', 'data', problems, true);
  const minSamples = numberField(data, 'minSamples', 'data', problems, WHOLE_AT_LEAST_1, TASK_DEFAULTS.minSamples);
  let featureColumns: string[] | undefined;
  const columns = data['featureColumns'];
  if (columns !== undefined && columns !== null) {
    if (!Array.isArray(columns) || columns.some((column) => typeof column !== 'string' || column === '')) {
      problems.add('data.featureColumns', `must be a list of column names, got ${describe(columns)}`);
    } else {
      featureColumns = columns as string[];
      if (featureCount !== undefined && featureColumns.length !== featureCount) {
        problems.add('data.featureColumns', `lists ${featureColumns.length} columns but featureCount is ${featureCount}`);
      }
      if (labelColumn !== undefined && featureColumns.includes(labelColumn)) {
        problems.add('data.featureColumns', `includes the label column ${JSON.stringify(labelColumn)}`);
      }
    }
  }
  if (featureCount === undefined || classes === undefined || labelColumn === undefined || minSamples === undefined) return undefined;
  return { featureCount, classes, labelColumn, ...(featureColumns === undefined ? {} : { featureColumns }), minSamples };
}

function readTraining(root: Mapping, problems: Problems): TrainingPlan | undefined {
  const training = mappingField(root, 'training', '', problems, false) ?? {};
  checkKnownKeys(training, ['epochs', 'batchSize', 'learningRate', 'optimizer', 'learningRateDecay'], 'training', problems);
  const optimizer = choiceField<OptimizerName>(training, 'optimizer', 'training', problems, OPTIMIZERS, TASK_DEFAULTS.optimizer);
  const fallbackRate = TASK_DEFAULTS.learningRate[optimizer ?? TASK_DEFAULTS.optimizer];
  const raw = {
    epochs: training['epochs'] ?? TASK_DEFAULTS.epochs,
    batchSize: training['batchSize'] ?? TASK_DEFAULTS.batchSize,
    learningRate: training['learningRate'] ?? fallbackRate,
    // Absent from the complete manifest unless given, so tasks without a decay keep their hash.
    ...(training['learningRateDecay'] === undefined ? {} : { learningRateDecay: training['learningRateDecay'] }),
  };
  let ok = optimizer !== undefined;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'number') {
      problems.add(join('training', key), `must be a number, got ${describe(value)}`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const plan = { ...raw, optimizer } as TrainingPlan;
  const planErrors = planProblems(plan);
  for (const problem of planErrors) {
    const match = /^(\w+) (.*)$/.exec(problem);
    problems.add(match === null ? 'training' : join('training', match[1] as string), match === null ? problem : (match[2] as string));
  }
  return planErrors.length === 0 ? plan : undefined;
}

function readStopping(root: Mapping, problems: Problems): TaskStopping | undefined {
  const stopping = mappingField(root, 'stopping', '', problems, true);
  if (stopping === undefined) return undefined;
  checkKnownKeys(stopping, ['rounds', 'targetAccuracy'], 'stopping', problems);
  const rounds = optionalNumber(stopping, 'rounds', 'stopping', problems, WHOLE_AT_LEAST_1);
  const targetAccuracy = optionalNumber(stopping, 'targetAccuracy', 'stopping', problems, UNIT_INTERVAL);
  const given = (key: string) => stopping[key] !== undefined && stopping[key] !== null;
  if (!given('rounds') && !given('targetAccuracy')) {
    problems.add('stopping', 'give "rounds", "targetAccuracy", or both');
    return undefined;
  }
  if ((given('rounds') && rounds === undefined) || (given('targetAccuracy') && targetAccuracy === undefined)) return undefined;
  return { ...(rounds === undefined ? {} : { rounds }), ...(targetAccuracy === undefined ? {} : { targetAccuracy }) };
}

function readCohort(root: Mapping, problems: Problems): TaskCohort | undefined {
  const cohort = mappingField(root, 'cohort', '', problems, false) ?? {};
  checkKnownKeys(cohort, ['fraction', 'minPeers'], 'cohort', problems);
  const fraction = numberField(cohort, 'fraction', 'cohort', problems, UNIT_INTERVAL, TASK_DEFAULTS.fraction);
  const minPeers = numberField(cohort, 'minPeers', 'cohort', problems, WHOLE_AT_LEAST_1, TASK_DEFAULTS.minPeers);
  return fraction === undefined || minPeers === undefined ? undefined : { fraction, minPeers };
}

function readAggregation(root: Mapping, problems: Problems): TaskAggregation | undefined {
  const aggregation = mappingField(root, 'aggregation', '', problems, false) ?? {};
  const strategy = choiceField<StrategyName>(aggregation, 'strategy', 'aggregation', problems, STRATEGY_NAMES, TASK_DEFAULTS.strategy);
  const maxDeltaNorm = optionalNumber(aggregation, 'maxDeltaNorm', 'aggregation', problems, POSITIVE);
  const margin = optionalNumber(aggregation, 'validationLossMargin', 'aggregation', problems, { min: 0, expected: 'a number ≥ 0' });
  const given = (key: string) => aggregation[key] !== undefined && aggregation[key] !== null;
  if (strategy === undefined) return undefined;
  const parameters = readStrategyParameters(strategy, aggregation, 'aggregation', problems, ['strategy', 'maxDeltaNorm', 'validationLossMargin']);
  if (parameters === undefined || (given('maxDeltaNorm') && maxDeltaNorm === undefined) || (given('validationLossMargin') && margin === undefined)) return undefined;
  return { strategy, ...parameters, ...(maxDeltaNorm === undefined ? {} : { maxDeltaNorm }), ...(margin === undefined ? {} : { validationLossMargin: margin }) };
}

function readTiming(root: Mapping, problems: Problems): TaskTiming | undefined {
  const timing = mappingField(root, 'timing', '', problems, false) ?? {};
  checkKnownKeys(timing, ['collectionWindowMs', 'curatorDeadlineMs', 'maxBlobBytes'], 'timing', problems);
  const collectionWindowMs = numberField(timing, 'collectionWindowMs', 'timing', problems, WHOLE_AT_LEAST_1, TASK_DEFAULTS.collectionWindowMs);
  const curatorDeadlineMs = numberField(timing, 'curatorDeadlineMs', 'timing', problems, WHOLE_AT_LEAST_1, TASK_DEFAULTS.curatorDeadlineMs);
  const maxBlobBytes = numberField(timing, 'maxBlobBytes', 'timing', problems, WHOLE_AT_LEAST_1, TASK_DEFAULTS.maxBlobBytes);
  if (collectionWindowMs === undefined || curatorDeadlineMs === undefined || maxBlobBytes === undefined) return undefined;
  if (curatorDeadlineMs <= collectionWindowMs) {
    problems.add('timing.curatorDeadlineMs', `must be longer than timing.collectionWindowMs (${collectionWindowMs}), got ${curatorDeadlineMs}`);
    return undefined;
  }
  return { collectionWindowMs, curatorDeadlineMs, maxBlobBytes };
}

/**
 * Validates already-parsed manifest data (e.g. the `manifest` of a signed envelope): the
 * manifest with defaults filled, or a `TaskManifestError` listing every problem.
 */
export function validateTaskManifest(value: unknown, source: string): TaskManifest {
  const problems = new Problems();
  if (!isMapping(value)) throw new TaskManifestError(source, [`a task manifest must be a mapping of fields, got ${describe(value)}`]);
  checkKnownKeys(value, TOP_KEYS, '', problems);
  const version = value['version'];
  if (version !== TASK_MANIFEST_VERSION) {
    problems.add('version', version === undefined ? `is required (write version: ${TASK_MANIFEST_VERSION})` : `must be ${TASK_MANIFEST_VERSION}, got ${describe(version)}`);
  }
  const id = stringField(value, 'id', '', problems, true);
  if (id !== undefined && !TASK_ID_PATTERN.test(id)) {
    problems.add('id', `must be 3–64 characters of a-z, 0-9 and "-", starting with a letter or digit, got ${describe(id)}`);
  }
  const description = stringField(value, 'description', '', problems, false);
  const model = readModel(value, problems);
  const data = readData(value, problems);
  const training = readTraining(value, problems);
  const stopping = readStopping(value, problems);
  const cohort = readCohort(value, problems);
  const aggregation = readAggregation(value, problems);
  const timing = readTiming(value, problems);
  const encoding = choiceField<WeightsEncoding>(value, 'encoding', '', problems, ENCODINGS, TASK_DEFAULTS.encoding);
  const mode = choiceField<TaskMode>(value, 'mode', '', problems, TASK_MODES, TASK_DEFAULTS.mode);
  const gossip = readGossip(value, mode, problems);
  const audit = readAudit(value, mode, problems);
  if (problems.list.length > 0) throw new TaskManifestError(source, problems.list);
  // Every reader returns undefined only after adding a problem, so these are all set here.
  if (id === undefined || model === undefined || data === undefined || training === undefined || stopping === undefined || cohort === undefined || aggregation === undefined || timing === undefined || encoding === undefined || mode === undefined || gossip === undefined || audit === undefined) {
    throw new TaskManifestError(source, ['internal error: a field failed validation without a reported problem']);
  }
  return {
    version: TASK_MANIFEST_VERSION,
    id,
    ...(description === undefined ? {} : { description }),
    model,
    data,
    training,
    stopping,
    cohort,
    aggregation,
    timing,
    encoding,
    mode,
    ...(gossip === null ? {} : { gossip }),
    ...(audit === null ? {} : { audit }),
  };
}

/**
 * Parses a manifest from YAML or JSON text. `source` names it in messages (a file path or a
 * label). Throws `TaskManifestError` with every problem, syntax errors with line and column.
 */
export function parseTaskManifest(text: string, source: string): TaskManifest {
  const parsed = parseText(text, 'task manifest');
  if ('problems' in parsed) throw new TaskManifestError(source, parsed.problems);
  return validateTaskManifest(parsed.value, source);
}

/** Reads and parses a manifest file. */
export async function readTaskManifest(path: string): Promise<TaskManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TaskManifestError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  return parseTaskManifest(text, path);
}

/** The data schema the task's data must follow (MNIST_SCHEMA for `builtin: mnist`). */
export function taskDataSchema(manifest: TaskManifest): DataSchema {
  const data = manifest.data;
  if ('builtin' in data) {
    switch (data.builtin) {
      case 'mnist':
        return MNIST_SCHEMA;
      default: {
        const unknown: never = data.builtin;
        throw new TaskManifestError(manifest.id, [`data.builtin: unknown dataset ${String(unknown)}`]);
      }
    }
  }
  return data;
}

/**
 * The model spec to build, with a `layers` path resolved against the folder of `manifestPath`
 * (the manifest or signed-task file the task was read from).
 */
export function taskModelSpec(manifest: TaskManifest, manifestPath: string): ModelSpec {
  const model = manifest.model;
  if ('preset' in model) return { kind: 'preset', preset: model.preset };
  return { kind: 'layers', path: isAbsolute(model.layers) ? model.layers : resolve(dirname(resolve(manifestPath)), model.layers) };
}
