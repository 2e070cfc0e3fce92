/**
 * The task manifest's `gossip:` section: gossip mode's settings (PROTOCOL §4.2, §7b). The
 * section is absent from the complete manifest unless given, and `clipRadius` is absent unless
 * given, so tasks written before either existed keep their task hash.
 */
import { Problems, checkKnownKeys, mappingField, numberField, optionalNumber, type Mapping } from './fields.ts';

/** Neighbours pulled per gossip cycle when the section does not say. */
export const GOSSIP_NEIGHBOURS_DEFAULT = 1;

/** Gossip mode's settings; the section is absent from a manifest that does not give it. */
export interface TaskGossip {
  /** Most neighbours whose models a peer pulls and merges each gossip cycle, whole number ≥ 1. Default 1. */
  readonly neighbours: number;
  /**
   * τ > 0: merge by self-centred clipped gossip (node/aggregate/clipped-gossip.ts), each pulled
   * model moving the peer's own by at most τ/(number of merged models). Absent: the age-weighted
   * average. Only with `mode: gossip`.
   */
  readonly clipRadius?: number;
}

const WHOLE_AT_LEAST_1 = { integer: true, min: 1, expected: 'a whole number ≥ 1' } as const;
const POSITIVE = { above: 0, expected: 'a positive number' } as const;

/**
 * The gossip section; null when the manifest does not give it, undefined after a problem.
 * `mode` is the manifest's mode as read (undefined when it was bad): `clipRadius` needs gossip.
 */
export function readGossip(root: Mapping, mode: string | undefined, problems: Problems): TaskGossip | null | undefined {
  const gossip = mappingField(root, 'gossip', '', problems, false);
  if (gossip === undefined) return root['gossip'] === undefined || root['gossip'] === null ? null : undefined;
  checkKnownKeys(gossip, ['neighbours', 'clipRadius'], 'gossip', problems);
  const neighbours = numberField(gossip, 'neighbours', 'gossip', problems, WHOLE_AT_LEAST_1, GOSSIP_NEIGHBOURS_DEFAULT);
  const given = gossip['clipRadius'] !== undefined && gossip['clipRadius'] !== null;
  const clipRadius = optionalNumber(gossip, 'clipRadius', 'gossip', problems, POSITIVE);
  if (given && mode !== undefined && mode !== 'gossip') {
    problems.add('gossip.clipRadius', `is gossip mode's merge rule, but the task's mode is ${mode}; set mode: gossip or remove it`);
    return undefined;
  }
  if (neighbours === undefined || (given && clipRadius === undefined)) return undefined;
  return { neighbours, ...(clipRadius === undefined ? {} : { clipRadius }) };
}
