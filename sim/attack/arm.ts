/**
 * Gives each simulated peer its learner for a run with attackers: honest peers train through
 * the board that lets omniscient attackers see their deltas, hostile peers through a hostile
 * learner (sim/attack/hostile-learner.ts), malicious curators through a lying curator
 * (sim/attack/lying-curator.ts), whose honest deltas are on the board too. Without attackers,
 * every peer gets its plain learner.
 */
import { GossipflError } from '../../node/errors.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import type { TaskManifest } from '../../node/task/manifest.ts';
import type { SimLearning } from '../peer/learning.ts';
import { HonestDeltas } from './honest-deltas.ts';
import { hostileLearner } from './hostile-learner.ts';
import { lyingCurator, type LyingCurator } from './lying-curator.ts';
import { isCuratorAttack, type AttackPlan } from './spec.ts';

/** The attacks a gossip-mode peer can run: sign-flip poisons its models (hostile-learner.ts), label-flip its data. */
const GOSSIP_ATTACKS: readonly string[] = ['sign-flip', 'label-flip'];

export class AttackSetupError extends GossipflError {
  override name = 'AttackSetupError';
}

/** A peer's learner; a malicious curator's also watches its runtime's effects and tells what it forged. */
export type ArmedLearner = RuntimeLearner & Partial<Pick<LyingCurator, 'watch' | 'forged'>>;

export function armedLearners(learning: SimLearning, peers: readonly string[], task: TaskManifest, plan: AttackPlan): ArmedLearner[] {
  if (plan.size === 0) return peers.map((peer, i) => learning.learner(i, peer));
  const manifest = learning.manifest;
  if (manifest === undefined) throw new AttackSetupError('attackers need peers that train a model: a protocol-only run has no deltas to poison');
  for (const index of plan.keys()) if (index < 0 || index >= peers.length) throw new AttackSetupError(`attacker ${index} is not one of the ${peers.length} peers`);
  for (const attack of plan.values()) {
    if (task.mode === 'gossip' && isCuratorAttack(attack)) throw new AttackSetupError(`${attack.kind} is a malicious curator, and a gossip federation has no curators`);
    if (task.mode === 'gossip' && !GOSSIP_ATTACKS.includes(attack.kind)) {
      throw new AttackSetupError(`in gossip mode only ${GOSSIP_ATTACKS.join(' and ')} attackers are modelled (a gossip peer sends models, not deltas), not ${attack.kind}`);
    }
    if (attack.kind === 'mimic' && plan.has(attack.target)) throw new AttackSetupError(`mimic's target, peer ${attack.target}, is itself an attacker with this seed; name an honest peer`);
  }
  const board = new HonestDeltas(peers, task.cohort.fraction);
  return peers.map((peer, i) => {
    const attack = plan.get(i);
    if (attack === undefined) return board.honestLearner(i, learning.learner(i, peer));
    if (isCuratorAttack(attack)) return lyingCurator({ attack, own: board.honestLearner(i, learning.learner(i, peer)), self: peer, manifest });
    return hostileLearner({
      attack,
      own: learning.learner(i, peer, attack.kind === 'label-flip' ? 'flipped' : 'true'),
      samples: learning.samples(i),
      board,
      manifest,
      encoding: task.encoding,
      maxDeltaNorm: task.aggregation.maxDeltaNorm,
      seed: `${task.id}/${peer}`,
    });
  });
}
