import { describe, expect, it } from 'vitest';
import { DeltaNorms, median } from '../../sim/peer/delta-norms.ts';
import { encodeWeights } from '../../node/learn/weights/index.ts';
import type { RuntimeLearner } from '../../node/peer/runtime.ts';

const manifest = { tensors: [{ name: 'w', shape: [2], dtype: 'float32' as const }] };
/** A learner whose `train` returns the delta `deltas[round]`. */
const fake = (deltas: Record<number, [number, number]>): RuntimeLearner =>
  ({ train: async (_base: Uint8Array, round: number) => ({ blob: encodeWeights({ manifest, values: Float32Array.from(deltas[round]!) }, 'f32'), samples: 1, metrics: { loss: 0, accuracy: 0 } }) }) as unknown as RuntimeLearner;

describe('honest delta norms', () => {
  it('takes the median L2 norm of the deltas trained for a round, then forgets it', async () => {
    const norms = new DeltaNorms();
    const learners = [fake({ 1: [3, 4], 2: [0, 1] }), fake({ 1: [6, 8] }), fake({ 1: [0, 1] })].map((learner, i) => norms.watch(i, learner));
    for (const learner of learners) await learner.train(new Uint8Array(), 1);
    await learners[0]!.train(new Uint8Array(), 2);
    expect(norms.take(1)).toBeCloseTo(5, 6);
    expect(norms.take(1)).toBeNaN();
    expect(norms.take(2)).toBeCloseTo(1, 6);
  });

  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
