/**
 * Reads a scenario's `attackers` (the top level's or an `algorithms` entry's): `none`, one group
 * `{ fraction, kind, …parameters, label? }`, or a list of groups (see sim/attack/spec.ts for the
 * kinds and their parameters). Every problem names its field; the groups must leave at least one
 * honest peer, each must hold at least one peer, and mimic's target must be an honest peer.
 */
import { Problems, checkKnownKeys, describe, isMapping, join, numberField, optionalNumber, suggest, type Mapping } from '../../node/task/fields.ts';
import { ATTACK_DEFAULTS, ATTACK_KINDS, FREE_RIDER_DELTAS, chooseAttackers, groupSizes, type AttackKind, type AttackerGroup } from '../attack/spec.ts';

const PARAMETERS: Readonly<Record<AttackKind, readonly string[]>> = {
  'sign-flip': ['scale'],
  'label-flip': [],
  alie: ['z'],
  ipm: ['epsilon'],
  mimic: ['target'],
  gaussian: ['sigma'],
  'free-rider': ['delta'],
  'wrong-sum': ['scale'],
  'drop-contributions': [],
};

const POSITIVE = { above: 0, expected: 'a positive number' } as const;

function readGroup(value: unknown, path: string, problems: Problems, peers: number | undefined): AttackerGroup | undefined {
  if (!isMapping(value)) {
    problems.add(path, `must be a mapping { fraction, kind, …the kind's parameters }, got ${describe(value)}`);
    return undefined;
  }
  const kind = value['kind'];
  if (typeof kind !== 'string' || !(ATTACK_KINDS as readonly string[]).includes(kind)) {
    const guess = typeof kind === 'string' ? suggest(kind, ATTACK_KINDS) : undefined;
    problems.add(join(path, 'kind'), kind === undefined || kind === null ? `is required (one of ${ATTACK_KINDS.join(', ')})` : `must be one of ${ATTACK_KINDS.join(', ')}, got ${describe(kind)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}`);
    return undefined;
  }
  const attack = kind as AttackKind;
  checkKnownKeys(value, ['fraction', 'kind', 'label', ...PARAMETERS[attack]], path, problems);
  const before = problems.list.length;
  const fraction = numberField(value, 'fraction', path, problems, { above: 0, max: 0.999999, expected: 'a fraction in (0, 1)' });
  if (fraction !== undefined && peers !== undefined && Math.round(fraction * peers) < 1) {
    problems.add(join(path, 'fraction'), `is ${fraction} of ${peers} peers, which rounds to no attacker; give at least ${(0.5 / peers).toPrecision(2)}`);
  }
  const label = value['label'];
  if (label !== undefined && label !== null && (typeof label !== 'string' || !/^[a-z0-9][a-z0-9+-]{0,13}$/.test(label))) {
    problems.add(join(path, 'label'), `must be 1–14 characters of a-z, 0-9, "-" and "+", got ${describe(label)}`);
  }
  const named = typeof label === 'string' ? { label } : {};
  const group = ((): AttackerGroup | undefined => {
    const f = fraction ?? 0;
    switch (attack) {
      case 'sign-flip': {
        const scale = numberField(value, 'scale', path, problems, POSITIVE, ATTACK_DEFAULTS.signFlipScale);
        return scale === undefined ? undefined : { kind: attack, scale, fraction: f, ...named };
      }
      case 'label-flip':
        return { kind: attack, fraction: f, ...named };
      case 'alie': {
        const z = optionalNumber(value, 'z', path, problems, { expected: 'a finite number' });
        return { kind: attack, z: z ?? null, fraction: f, ...named };
      }
      case 'ipm': {
        const epsilon = numberField(value, 'epsilon', path, problems, POSITIVE, ATTACK_DEFAULTS.ipmEpsilon);
        return epsilon === undefined ? undefined : { kind: attack, epsilon, fraction: f, ...named };
      }
      case 'mimic': {
        const target = optionalNumber(value, 'target', path, problems, { integer: true, min: 0, expected: 'a peer index (a whole number ≥ 0)' });
        if (target !== undefined && peers !== undefined && target >= peers) problems.add(join(path, 'target'), `is peer ${target}, but peers are numbered 0..${peers - 1}`);
        return { kind: attack, target: target ?? null, fraction: f, ...named };
      }
      case 'gaussian': {
        const sigma = numberField(value, 'sigma', path, problems, POSITIVE, ATTACK_DEFAULTS.gaussianSigma);
        return sigma === undefined ? undefined : { kind: attack, sigma, fraction: f, ...named };
      }
      case 'free-rider': {
        const delta = value['delta'] ?? ATTACK_DEFAULTS.freeRiderDelta;
        if (typeof delta !== 'string' || !(FREE_RIDER_DELTAS as readonly string[]).includes(delta)) {
          problems.add(join(path, 'delta'), `must be one of ${FREE_RIDER_DELTAS.join(', ')}, got ${describe(delta)}`);
          return undefined;
        }
        return { kind: attack, delta: delta as (typeof FREE_RIDER_DELTAS)[number], fraction: f, ...named };
      }
      case 'wrong-sum': {
        const scale = numberField(value, 'scale', path, problems, { expected: 'a finite number other than 1' }, ATTACK_DEFAULTS.wrongSumScale);
        if (scale === 1) {
          problems.add(join(path, 'scale'), 'is 1, which makes the honest version: give another factor (default −1 undoes the round, 10 overshoots it)');
          return undefined;
        }
        return scale === undefined ? undefined : { kind: attack, scale, fraction: f, ...named };
      }
      case 'drop-contributions':
        return { kind: attack, fraction: f, ...named };
      default: {
        const unknown: never = attack;
        return unknown;
      }
    }
  })();
  return problems.list.length > before ? undefined : group;
}

/**
 * The attacker groups of `root[key]`, read at `path`: [] when absent or `none`. `peers` and
 * `seed` check the groups against the federation (undefined: those checks are skipped).
 */
export function readAttackers(root: Mapping, problems: Problems, peers: number | undefined, seed: number | undefined, key = 'attackers', path = key): AttackerGroup[] | undefined {
  const value = root[key];
  if (value === undefined || value === null || value === 'none') return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    problems.add(path, 'must be none, one group { fraction, kind, … } or a non-empty list of groups, got an empty list');
    return undefined;
  }
  const before = problems.list.length;
  const groups = list.map((item: unknown, i) => readGroup(item, Array.isArray(value) ? join(path, i) : path, problems, peers));
  if (problems.list.length > before || groups.some((group) => group === undefined)) return undefined;
  const valid = groups as AttackerGroup[];
  if (peers === undefined) return valid;
  const attackers = groupSizes(valid, peers).reduce((sum, size) => sum + size, 0);
  if (attackers >= peers) {
    problems.add(path, `makes ${attackers} of the ${peers} peers attackers; leave at least one honest peer`);
    return undefined;
  }
  if (seed !== undefined) {
    const plan = chooseAttackers(valid, peers, seed);
    valid.forEach((group, i) => {
      if (group.kind === 'mimic' && group.target !== null && plan.has(group.target)) {
        const at = join(Array.isArray(value) ? join(path, i) : path, 'target');
        problems.add(at, `is peer ${group.target}, an attacker with seed ${seed} (attackers: ${[...plan.keys()].sort((a, b) => a - b).join(', ')}); name an honest peer`);
      }
    });
    if (problems.list.length > before) return undefined;
  }
  return valid;
}
