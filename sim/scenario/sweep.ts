/**
 * A scenario's `sweep`: axes whose values are crossed with every `algorithms` entry, so that a
 * table of (attack × aggregation rule) is one short list per axis instead of an entry per cell.
 *
 *   algorithms: [curator]
 *   sweep:
 *     attackers: [none, { fraction: 0.2, kind: sign-flip }, { fraction: 0.2, kind: alie }]
 *     aggregation: [fedavg, fedavgm, { strategy: fedadam, serverLearningRate: 0.01 }]
 *
 * runs 3 × 3 lines. An `attackers` value is what the `attackers` field takes (none, a group or a
 * list of groups); an `aggregation` value is a strategy name as the task manifest names it, or a
 * whole `task.aggregation` mapping (it replaces the entry's aggregation, as an entry's own
 * override does). A swept line is labelled by its values, `<attackers>/<strategy>`
 * (`sign-flip/fedavg`, `clean/fedadam`), after the entry's label when there is more than one
 * entry. Each value is validated on its own and its problems named `sweep.<axis>[i]`.
 */
import { Problems, checkKnownKeys, describe, isMapping, join, type Mapping } from '../../node/task/fields.ts';
import { attackLabel, type AttackerGroup } from '../attack/spec.ts';

export const SWEEP_AXES = ['attackers', 'aggregation'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];

/** What a swept line came from: its value on each axis given. */
export interface SweepPoint {
  readonly attackers?: string;
  readonly aggregation?: string;
}

export interface SweepCheckers {
  /** The attacker groups of a value, or undefined with problems under `path`. */
  readonly attackers: (value: unknown, path: string, problems: Problems) => readonly AttackerGroup[] | undefined;
  /** Whether `aggregation` (a mapping) is a valid task aggregation; problems under `path`. */
  readonly aggregation: (aggregation: Mapping, path: string, problems: Problems) => boolean;
}

interface Value {
  readonly raw: unknown;
  readonly label: string;
}

function axisValues(sweep: Mapping, axis: SweepAxis, problems: Problems, check: SweepCheckers): Value[] | undefined {
  const list = sweep[axis];
  if (list === undefined || list === null) return undefined;
  const path = `sweep.${axis}`;
  if (!Array.isArray(list) || list.length === 0) {
    problems.add(path, `must be a non-empty list of values to sweep, got ${describe(list)}`);
    return [];
  }
  const values: Value[] = [];
  list.forEach((raw: unknown, i) => {
    const at = join(path, i);
    if (axis === 'attackers') {
      const groups = check.attackers(raw, at, problems);
      if (groups !== undefined) values.push({ raw, label: attackLabel(groups) });
      return;
    }
    const aggregation = typeof raw === 'string' ? { strategy: raw } : raw;
    if (!isMapping(aggregation)) {
      problems.add(at, `must be a strategy name or an aggregation mapping { strategy, … }, got ${describe(raw)}`);
      return;
    }
    if (check.aggregation(aggregation, at, problems)) values.push({ raw: aggregation, label: String(aggregation['strategy'] ?? 'fedavg') });
  });
  const labels = values.map((value) => value.label);
  labels.forEach((label, i) => {
    if (labels.indexOf(label) !== i) problems.add(path, `lists ${label} twice; give one of them a label`);
  });
  return values;
}

/**
 * The `algorithms` list with the sweep applied (every entry × every combination of axis values),
 * each swept entry with the point it stands for; the list as it is when there is no sweep.
 * Undefined when the sweep has problems (they are in `problems`).
 */
export function expandSweep(root: Mapping, problems: Problems, check: SweepCheckers): { readonly algorithms: unknown; readonly points: readonly (SweepPoint | undefined)[] } | undefined {
  const sweep = root['sweep'];
  const algorithms = root['algorithms'];
  if (sweep === undefined || sweep === null) return { algorithms, points: [] };
  if (!isMapping(sweep)) {
    problems.add('sweep', `must be a mapping of axes (${SWEEP_AXES.join(', ')}) to lists of values, got ${describe(sweep)}`);
    return undefined;
  }
  checkKnownKeys(sweep, SWEEP_AXES, 'sweep', problems);
  const before = problems.list.length;
  const attackers = axisValues(sweep, 'attackers', problems, check);
  const aggregation = axisValues(sweep, 'aggregation', problems, check);
  if (attackers === undefined && aggregation === undefined) problems.add('sweep', `names no axis; give ${SWEEP_AXES.join(' and/or ')}`);
  if (problems.list.length > before) return undefined;
  const entries = typeof algorithms === 'string' ? [algorithms] : algorithms;
  if (!Array.isArray(entries)) return { algorithms, points: [] };
  const expanded: unknown[] = [];
  const points: SweepPoint[] = [];
  entries.forEach((entry: unknown, index) => {
    const mapping: Mapping | undefined = typeof entry === 'string' ? { algorithm: entry } : isMapping(entry) ? entry : undefined;
    if (mapping === undefined) {
      expanded.push(entry); // readAlgorithms reports it
      return;
    }
    if (attackers !== undefined && mapping['attackers'] !== undefined) problems.add(`algorithms[${index}].attackers`, 'the sweep sets the attackers of every line; remove it');
    const task = mapping['task'];
    if (aggregation !== undefined && isMapping(task) && task['aggregation'] !== undefined) problems.add(`algorithms[${index}].task.aggregation`, 'the sweep sets the aggregation of every line; remove it');
    const prefix = entries.length > 1 ? `${String(mapping['label'] ?? mapping['algorithm'])} ` : '';
    for (const attack of attackers ?? [undefined]) {
      for (const rule of aggregation ?? [undefined]) {
        const label = prefix + [attack?.label, rule?.label].filter((part) => part !== undefined).join('/');
        expanded.push({
          ...mapping,
          label,
          ...(attack === undefined ? {} : { attackers: attack.raw }),
          ...(rule === undefined ? {} : { task: { ...(isMapping(task) ? task : {}), aggregation: rule.raw } }),
        });
        points.push({ ...(attack === undefined ? {} : { attackers: attack.label }), ...(rule === undefined ? {} : { aggregation: rule.label }) });
      }
    }
  });
  if (problems.list.length > before) return undefined;
  return { algorithms: expanded, points };
}
