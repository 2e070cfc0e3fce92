/**
 * Robustness and determinism of every registered rule: with 2 huge outliers among 10 deltas the
 * robust rules stay near the honest mean and FedAvg does not; the result does not depend on the
 * order contributions arrive in (they are taken in sender order).
 */
import { describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_NAMES, type Contribution, type StrategyName } from '../../node/aggregate/index.ts';
import { Rng } from '../../node/learn/rng.ts';

const LENGTH = 1000;
const rng = new Rng('aggregate-robustness');
const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const honest: Contribution[] = Array.from({ length: 8 }, (_, i) => ({
  from: `honest-${i}`,
  delta: Float32Array.from({ length: LENGTH }, () => 0.5 + 0.1 * gaussian()),
  samples: 100 + i,
}));
const outliers: Contribution[] = [0, 1].map((i) => ({ from: `outlier-${i}`, delta: new Float32Array(LENGTH).fill(i === 0 ? 1e4 : -3e4), samples: 100 }));
const base = new Float32Array(LENGTH);
const honestMean = new Float64Array(LENGTH).map((_, k) => honest.reduce((sum, c) => sum + (c.delta[k] as number), 0) / honest.length);
const distance = (values: Float32Array) => Math.hypot(...values.map((v, k) => v - (honestMean[k] as number)));
const honestNorm = Math.hypot(...honestMean);

/** Parameters that fit this input: 2 Byzantine of 10, τ a little above the honest deltas' norm (≈ 15.8). */
const ROBUST: Partial<Record<StrategyName, Record<string, unknown>>> = {
  median: {},
  'trimmed-mean': { trimFraction: 0.2 },
  'multi-krum': { byzantine: 2, select: 4 },
  'geometric-median': { iterations: 20 },
  'centered-clipping': { clipRadius: 20, iterations: 3 },
  'norm-clipping': { clipNorm: 20 },
};

describe('robust rules against 2 huge outliers among 10 deltas', () => {
  const mixed = [...honest.slice(0, 3), outliers[0]!, ...honest.slice(3), outliers[1]!];

  for (const [name, parameters] of Object.entries(ROBUST)) {
    it(`${name} stays within a third of the honest mean's norm of it`, () => {
      const next = createStrategy(name as StrategyName, parameters).aggregate(base, mixed);
      expect(distance(next)).toBeLessThan(honestNorm / 3);
    });
  }

  it('FedAvg is dragged tens of thousands away', () => {
    expect(distance(createStrategy('fedavg').aggregate(base, mixed))).toBeGreaterThan(1e4);
  });

  it('every rule but the clipping ones lands near the honest mean without outliers too', () => {
    for (const name of ['median', 'trimmed-mean', 'multi-krum', 'geometric-median'] as const) {
      expect(distance(createStrategy(name, ROBUST[name]).aggregate(base, honest))).toBeLessThan(honestNorm / 10);
    }
  });
});

describe('determinism', () => {
  const shuffled = (list: readonly Contribution[], seed: string) => {
    const order = new Rng(seed);
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = order.int(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };
  const sorted = [...honest, ...outliers].sort((a, b) => (a.from < b.from ? -1 : 1));

  // fedavg, fedavgm and fedadam add in the order given (the learner sorts by sender first: learner-rules.test.ts).
  for (const name of Object.keys(ROBUST) as StrategyName[]) {
    it(`${name} gives the same bits for any arrival order of the same contributions`, () => {
      const parameters = ROBUST[name];
      const reference = createStrategy(name, parameters).aggregate(base, sorted);
      for (const seed of ['one', 'two', 'three']) {
        const again = createStrategy(name, parameters).aggregate(base, shuffled(sorted, seed));
        expect(Buffer.from(again.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
      }
    });
  }

  it('covers every registered rule', () => {
    expect([...STRATEGY_NAMES].sort()).toEqual(['fedadam', 'fedavg', 'fedavgm', ...Object.keys(ROBUST)].sort());
  });
});
