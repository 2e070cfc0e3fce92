/**
 * Every aggregation rule, one line each: the only place besides its own file that names a rule.
 * The task manifest reader, the learner, version-blob checks and the simulator ask here.
 * Adding a rule: write node/aggregate/<rule>.ts exporting a `defineStrategy({...})`, add it below.
 */
import { CENTERED_CLIPPING } from './centered-clipping.ts';
import { FEDADAM } from './fedadam.ts';
import { FEDAVG } from './fedavg.ts';
import { FEDAVGM } from './fedavgm.ts';
import { GEOMETRIC_MEDIAN } from './geometric-median.ts';
import { MEDIAN } from './median.ts';
import { MULTI_KRUM } from './multi-krum.ts';
import { NORM_CLIPPING } from './norm-clipping.ts';
import { TRIMMED_MEAN } from './trimmed-mean.ts';
import { Problems, checkKnownKeys, choiceField, join, numberField, type Mapping } from '../task/fields.ts';
import { AggregationError, type AggregationStrategy, type ParameterSpec, type ParameterValue, type StrategyDefinition, type StrategyParameters } from './strategy.ts';

const DEFINITIONS = [
  FEDAVG,
  FEDAVGM,
  FEDADAM,
  MEDIAN,
  TRIMMED_MEAN,
  MULTI_KRUM,
  GEOMETRIC_MEDIAN,
  CENTERED_CLIPPING,
  NORM_CLIPPING,
] as const;

export type StrategyName = (typeof DEFINITIONS)[number]['name'];
export const STRATEGY_NAMES: readonly StrategyName[] = DEFINITIONS.map((definition) => definition.name);

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

export function strategyDefinition(name: StrategyName): StrategyDefinition<StrategyName> {
  const definition = DEFINITIONS.find((d) => d.name === name);
  if (definition === undefined) throw new AggregationError(`unknown aggregation strategy "${name}"; choose one of ${STRATEGY_NAMES.join(', ')}`);
  return definition;
}

/** Strategies taking parameter `key`, in registry order. */
function strategiesTaking(key: string): StrategyName[] {
  return DEFINITIONS.filter((d) => d.parameters.some((p) => p.key === key)).map((d) => d.name);
}

/** "a", "a and b", "a, b and c". */
function inWords(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function readParameter(spec: ParameterSpec, section: Mapping, path: string, problems: Problems): ParameterValue | undefined {
  if ('choices' in spec) return choiceField(section, spec.key, path, problems, spec.choices, spec.default);
  return numberField(section, spec.key, path, problems, spec.rule, spec.default);
}

/**
 * Strategy `name`'s parameters from `section` (the manifest's `aggregation:` mapping, or any
 * object), defaults filled in; every problem goes to `problems` with its field path under
 * `path`. Keys in `ignore` belong to the caller (e.g. `strategy`). Undefined after a problem.
 */
export function readStrategyParameters(name: StrategyName, section: Mapping, path: string, problems: Problems, ignore: readonly string[] = []): StrategyParameters | undefined {
  const definition = strategyDefinition(name);
  const own = definition.parameters.map((p) => p.key);
  const before = problems.list.length;
  const unknown: Record<string, unknown> = {};
  for (const key of Object.keys(section)) {
    if (own.includes(key) || ignore.includes(key)) continue;
    const takers = strategiesTaking(key);
    if (takers.length > 0) problems.add(join(path, key), `applies to ${inWords(takers)} only; remove it or change the strategy`);
    else unknown[key] = section[key];
  }
  checkKnownKeys(unknown, [...ignore, ...own], path, problems);
  const parameters: Record<string, ParameterValue> = {};
  for (const spec of definition.parameters) {
    const value = readParameter(spec, section, path, problems);
    if (value !== undefined) parameters[spec.key] = value;
  }
  return problems.list.length > before ? undefined : parameters;
}

/** The strategy `name` with `parameters` (missing ones take their defaults); throws AggregationError listing every problem. */
export function createStrategy(name: StrategyName, parameters: Readonly<Record<string, unknown>> = {}): AggregationStrategy {
  const problems = new Problems();
  const read = readStrategyParameters(name, parameters, '', problems);
  if (read === undefined) throw new AggregationError(`strategy ${name}: ${problems.list.join('; ')}`);
  return strategyDefinition(name).create(read);
}
