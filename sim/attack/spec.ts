/**
 * The attacks a scenario can put in its hostile peers, and which peers they are. In a scenario
 * file: `attackers: { fraction, kind, …the kind's parameters }`, or a list of such groups, or
 * `none` (read by sim/scenario/attackers.ts). Attackers are chosen from the scenario's seed
 * alone (`chooseAttackers`), so every line of a scenario has the same hostile peers.
 */
import { Rng } from '../../node/learn/rng.ts';
import { alieZ } from './deltas.ts';

export const ATTACK_KINDS = ['sign-flip', 'label-flip', 'alie', 'ipm', 'mimic', 'gaussian', 'free-rider', 'wrong-sum', 'drop-contributions'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** The attacks of a malicious curator: it trains honestly and lies in the versions it curates. */
export const CURATOR_ATTACKS = ['wrong-sum', 'drop-contributions'] as const;

/**
 * Defaults of the attacks' parameters. wrong-sum's −1 undoes the round: the forged version is as
 * far from its parent as the honest one, so it passes any check of a version's size or values,
 * and it does real harm (the federation unlearns a round) — only recomputing it tells.
 */
export const ATTACK_DEFAULTS = { signFlipScale: 1, ipmEpsilon: 0.1, gaussianSigma: 0.01, freeRiderDelta: 'zero', wrongSumScale: -1 } as const;

export const FREE_RIDER_DELTAS = ['zero', 'stale'] as const;

/**
 * One attack and its parameters.
 * - `sign-flip { scale }`: sends −scale × its honest delta (default scale 1); in gossip mode
 *   (simulate() only) it announces base − scale·(its trained model − base).
 * - `label-flip`: trains honestly on its data with every label l turned into classes − 1 − l.
 * - `alie { z }`: mean − z · std of the round's honest deltas, coordinate-wise; `z` null (the
 *   default) is Baruch et al.'s choice from the number of peers and of attackers (`alieZ`).
 * - `ipm { epsilon }`: −ε × the mean of the round's honest deltas (default ε = 0.1).
 * - `mimic { target }`: a copy of one honest peer's delta; `target` is that peer's index, or null
 *   (the default) for the honest peer drawn from the seed. The target's delta is trained from its
 *   data even in a round where it is not in the cohort.
 * - `gaussian { sigma }`: every coordinate from N(0, σ²) (default σ = 0.01).
 * - `free-rider { delta }`: trains nothing; `zero` sends a zero delta, `stale` the federation's
 *   previous step (its base minus the base before it).
 * - `wrong-sum { scale }` (a malicious curator): when it curates, its version is
 *   parent + scale·(honest aggregate − parent) (default scale −1), listing every contribution.
 * - `drop-contributions` (a malicious curator): when it curates, its version aggregates only its
 *   own delta (the first offered one, in sender order, when it sent none) but lists every one.
 * Malicious curators train and audit honestly (sim/attack/lying-curator.ts); only sim/run.ts's
 * curator mode models them.
 * ALIE, IPM and mimic are omniscient: they see the deltas the honest peers of the round's cohort
 * compute from the same base (sim/attack/honest-deltas.ts).
 */
export type Attack =
  | { readonly kind: 'sign-flip'; readonly scale: number }
  | { readonly kind: 'label-flip' }
  | { readonly kind: 'alie'; readonly z: number | null }
  | { readonly kind: 'ipm'; readonly epsilon: number }
  | { readonly kind: 'mimic'; readonly target: number | null }
  | { readonly kind: 'gaussian'; readonly sigma: number }
  | { readonly kind: 'free-rider'; readonly delta: (typeof FREE_RIDER_DELTAS)[number] }
  | { readonly kind: 'wrong-sum'; readonly scale: number }
  | { readonly kind: 'drop-contributions' };

export type CuratorAttack = Extract<Attack, { kind: (typeof CURATOR_ATTACKS)[number] }>;

export function isCuratorAttack(attack: { readonly kind: string }): attack is CuratorAttack {
  return (CURATOR_ATTACKS as readonly string[]).includes(attack.kind);
}

/** A share of the peers that all run one attack. */
export type AttackerGroup = Attack & {
  /** Fraction of the scenario's peers in this group, in (0, 1); round(fraction × peers) ≥ 1 peers. */
  readonly fraction: number;
  /** Names the group in labels and reports; default its kind. */
  readonly label?: string;
};

/** The attack one hostile peer runs, with every choice made (z, mimic's target). */
export type ResolvedAttack =
  | Exclude<Attack, { kind: 'alie' } | { kind: 'mimic' }>
  | { readonly kind: 'alie'; readonly z: number }
  | { readonly kind: 'mimic'; readonly target: number };

/** Which peers attack, and how: peer index → attack. Empty for a clean run. */
export type AttackPlan = ReadonlyMap<number, ResolvedAttack>;

/** Peers in each group: round(fraction × peers). */
export function groupSizes(groups: readonly AttackerGroup[], peers: number): number[] {
  return groups.map((group) => Math.round(group.fraction * peers));
}

/** The label of a list of groups in a report: `clean` for none, else the kinds joined by `+`. */
export function attackLabel(groups: readonly AttackerGroup[]): string {
  return groups.length === 0 ? 'clean' : groups.map((group) => group.label ?? group.kind).join('+');
}

/**
 * Chooses the attackers: a permutation of the peers drawn from `seed` alone, dealt out to the
 * groups in order. ALIE's default z counts every attacker of every group; mimic's default target
 * is the first honest peer of a second permutation drawn from the seed.
 */
export function chooseAttackers(groups: readonly AttackerGroup[], peers: number, seed: number): AttackPlan {
  const plan = new Map<number, ResolvedAttack>();
  if (groups.length === 0) return plan;
  const rng = new Rng(seed).fork('attackers');
  const order = rng.permutation(peers);
  const sizes = groupSizes(groups, peers);
  const attackers = sizes.reduce((sum, size) => sum + size, 0);
  const honest = rng
    .fork('mimic-target')
    .permutation(peers)
    .filter((index) => !order.slice(0, attackers).includes(index));
  let next = 0;
  groups.forEach((group, g) => {
    const resolved = resolve(group, peers, attackers, honest[0]);
    for (let k = 0; k < sizes[g]!; k++) plan.set(order[next++]!, resolved);
  });
  return plan;
}

function resolve(group: AttackerGroup, peers: number, attackers: number, firstHonest: number | undefined): ResolvedAttack {
  const { fraction: _fraction, label: _label, ...attack } = group;
  switch (attack.kind) {
    case 'alie':
      return { kind: 'alie', z: attack.z ?? alieZ(peers, attackers) };
    case 'mimic': {
      const target = attack.target ?? firstHonest;
      if (target === undefined) throw new RangeError('mimic needs an honest peer to copy, but every peer attacks');
      return { kind: 'mimic', target };
    }
    default:
      return attack;
  }
}
