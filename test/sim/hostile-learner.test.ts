import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../../node/learn/weights/index.ts';
import type { TrainedDelta } from '../../node/peer/learner.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';
import { inCohort } from '../../node/round/election.ts';
import { blobHash, HonestDeltas } from '../../sim/attack/honest-deltas.ts';
import { hostileLearner, type DeltaAttack, type HostileInit } from '../../sim/attack/hostile-learner.ts';
import { armedLearners } from '../../sim/attack/arm.ts';
import type { SimLearning } from '../../sim/peer/learning.ts';
import { testTask } from '../federation/helpers.ts';

const manifest: WeightsManifest = { tensors: [{ name: 'w', shape: [3], dtype: 'float32' }] };
const blob = (...values: number[]) => encodeWeights({ manifest, values: Float32Array.from(values) }, 'f32');
const valuesOf = (bytes: Uint8Array) => [...decodeWeights(bytes).values];

/** A learner whose training returns a fixed delta (counting its trainings); nothing else is used. */
function fixedLearner(delta: number[], samples = 10): RuntimeLearner & { trainings: number } {
  const unused = () => {
    throw new Error('not used by these tests');
  };
  const learner = {
    trainings: 0,
    genesisBlob: unused,
    checkVersion: unused,
    train: async (): Promise<TrainedDelta> => {
      learner.trainings++;
      return { blob: blob(...delta), samples, metrics: { loss: delta[0]!, accuracy: 0.5 } };
    },
    trainModel: unused,
    validate: unused,
    aggregate: unused,
    applyPatch: unused,
    merge: unused,
  };
  return learner;
}

const ids = ['p0', 'p1', 'p2', 'p3'];
const HONEST = [
  [1, 0, 4],
  [3, 0, 8],
  [2, 3, 0],
];

/** Peers 0–2 honest with the deltas above, peer 3 attacking with `attack` (its own training gives `own`). */
function federation(attack: DeltaAttack, options: { own?: number[]; maxDeltaNorm?: number } = {}) {
  const board = new HonestDeltas(ids, 1);
  const honest = HONEST.map((delta, i) => {
    const inner = fixedLearner(delta);
    return { inner, learner: board.honestLearner(i, inner) };
  });
  const init: HostileInit = { attack, own: fixedLearner(options.own ?? [1, -1, 2]), samples: 7, board, manifest, encoding: 'f32', maxDeltaNorm: options.maxDeltaNorm, seed: 'attacker' };
  return { board, honest, attacker: hostileLearner(init) };
}

describe('hostile learners', () => {
  const base = blob(0.5, 0.5, 0.5);

  it('sign-flip sends −scale × its own delta and claims its own sample count', async () => {
    const { attacker } = federation({ kind: 'sign-flip', scale: 2 }, { own: [1, -1, 2] });
    const sent = await attacker.train(base, 1);
    expect(valuesOf(sent.blob)).toEqual([-2, 2, -4]);
    expect(sent.samples).toBe(7);
  });

  it('ALIE sends mean − z·std of the honest deltas of the round', async () => {
    const { attacker } = federation({ kind: 'alie', z: 1 });
    const sent = valuesOf((await attacker.train(base, 1)).blob);
    // mean (2, 1, 4); population std (√(2/3), √2, √(32/3))
    const expected = [2 - Math.sqrt(2 / 3), 1 - Math.sqrt(2), 4 - Math.sqrt(32 / 3)];
    sent.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
  });

  it('IPM sends −ε × the mean of the honest deltas', async () => {
    const { attacker } = federation({ kind: 'ipm', epsilon: 0.1 });
    const sent = valuesOf((await attacker.train(base, 1)).blob);
    [-0.2, -0.1, -0.4].forEach((value, i) => expect(sent[i]).toBeCloseTo(value, 6));
  });

  it("mimic sends exactly its target's delta, and the target's own delta is the same training", async () => {
    const { attacker, honest } = federation({ kind: 'mimic', target: 1 });
    const sent = await attacker.train(base, 1);
    const target = await honest[1]!.learner.train(base, 1);
    expect(sent.blob).toEqual(target.blob);
    expect(honest[1]!.inner.trainings).toBe(1);
  });

  it('every honest peer trains once per base and round, however many attackers look at its delta', async () => {
    const { board, honest } = federation({ kind: 'ipm', epsilon: 0.1 });
    await board.of(base, 1);
    await board.of(base, 1);
    for (const { learner } of honest) await learner.train(base, 1);
    expect(honest.map(({ inner }) => inner.trainings)).toEqual([1, 1, 1]);
    await honest[0]!.learner.train(blob(1, 1, 1), 2);
    expect(honest[0]!.inner.trainings).toBe(2);
  });

  it('the honest deltas are those of the round cohort, drawn as the engine draws it', () => {
    const board = new HonestDeltas(ids, 0.5);
    HONEST.forEach((delta, i) => board.honestLearner(i, fixedLearner(delta)));
    for (const round of [1, 2, 3, 4, 5]) {
      const expected = [0, 1, 2].filter((i) => inCohort(round, blobHash(base), ids[i]!, 0.5));
      expect(board.cohort(base, round)).toEqual(expected);
    }
  });

  it('a zero free-rider sends zeros; a stale one sends the last step of the federation', async () => {
    const zero = federation({ kind: 'free-rider', delta: 'zero' }).attacker;
    expect(valuesOf((await zero.train(base, 1)).blob)).toEqual([0, 0, 0]);
    const stale = federation({ kind: 'free-rider', delta: 'stale' }).attacker;
    expect(valuesOf((await stale.train(base, 1)).blob)).toEqual([0, 0, 0]);
    expect(valuesOf((await stale.train(blob(1, 0.25, 0.5), 2)).blob)).toEqual([0.5, -0.25, 0]);
  });

  it('Gaussian noise stays under the task bound on delta norms, and repeats for the same round', async () => {
    const { attacker } = federation({ kind: 'gaussian', sigma: 100 }, { maxDeltaNorm: 1 });
    const first = valuesOf((await attacker.train(base, 1)).blob);
    expect(Math.hypot(...first)).toBeLessThanOrEqual(1);
    expect(Math.hypot(...first)).toBeGreaterThan(0.98);
    expect(valuesOf((await federation({ kind: 'gaussian', sigma: 100 }, { maxDeltaNorm: 1 }).attacker.train(base, 1)).blob)).toEqual(first);
  });

  it('in gossip mode, sign-flip announces base − scale·(trained − base), keeping the version round tag', async () => {
    const tagged = { tensors: [...manifest.tensors, { name: 'round/3', shape: [0], dtype: 'float32' as const }] };
    const model = (...values: number[]) => encodeWeights({ manifest: tagged, values: Float32Array.from(values) }, 'f32');
    const own = { ...fixedLearner([0, 0, 0]), trainModel: async () => ({ blob: model(1, 0, 2), samples: 9 }) };
    const board = new HonestDeltas(ids, 1);
    const attacker = hostileLearner({ attack: { kind: 'sign-flip', scale: 10 }, own, samples: 7, board, manifest, encoding: 'f32', maxDeltaNorm: undefined, seed: 'attacker' });
    const sent = await attacker.trainModel(model(0.5, 0.5, 0.5), 3);
    // base (0.5, 0.5, 0.5), honest step (0.5, −0.5, 1.5): sent 0.5 − 10·step.
    expect(valuesOf(sent.blob)).toEqual([-4.5, 5.5, -14.5]);
    expect(decodeWeights(sent.blob).manifest).toEqual(tagged);
    expect(sent.samples).toBe(9);
  });

  it('refuses attacks a gossip-mode peer cannot run (they poison deltas, which gossip mode does not send)', () => {
    const learning = { learner: () => fixedLearner([0, 0, 0]), manifest, samples: () => 7 } as unknown as SimLearning;
    const gossip = testTask({ mode: 'gossip' });
    expect(() => armedLearners(learning, ids, gossip, new Map([[3, { kind: 'ipm', epsilon: 0.1 }]]))).toThrow(
      'in gossip mode only sign-flip and label-flip attackers are modelled (a gossip peer sends models, not deltas), not ipm',
    );
    expect(armedLearners(learning, ids, gossip, new Map([[3, { kind: 'sign-flip', scale: 1 }]]))).toHaveLength(4);
  });
});
