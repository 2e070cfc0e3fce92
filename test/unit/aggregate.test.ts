import { describe, expect, it } from 'vitest';
import { createStrategy, STRATEGY_NAMES, type Contribution } from '../../node/aggregate/index.ts';
import { fedAdam, fedAvgM } from '../../node/aggregate/server-optimizers.ts';

const base = Float32Array.from([1, 2, 3]);
const contributions: Contribution[] = [
  { from: 'a', delta: Float32Array.from([1, 0, -1]), samples: 30 },
  { from: 'b', delta: Float32Array.from([-1, 2, 1]), samples: 10 },
];
// Sample-weighted mean delta: (30·a + 10·b) / 40.
const meanDelta = [0.5, 0.5, -0.5];

describe('aggregation strategies', () => {
  it('FedAvg adds the sample-weighted mean delta and leaves its inputs alone', () => {
    const next = createStrategy('fedavg').aggregate(base, contributions);
    expect([...next]).toEqual([...base].map((w, i) => w + meanDelta[i]!));
    expect([...base]).toEqual([1, 2, 3]);
    expect([...contributions[0]!.delta]).toEqual([1, 0, -1]);
  });

  it('FedAvgM with zero momentum and rate 1 is FedAvg; with momentum it accumulates', () => {
    const plain = fedAvgM({ momentum: 0, serverLearningRate: 1 });
    expect([...plain.aggregate(base, contributions)]).toEqual([1.5, 2.5, 2.5]);
    const withMomentum = fedAvgM({ momentum: 0.5, serverLearningRate: 1 });
    const first = withMomentum.aggregate(base, contributions);
    const second = withMomentum.aggregate(first, contributions);
    // m1 = Δ̄, m2 = 0.5·Δ̄ + Δ̄ = 1.5·Δ̄
    expect([...second].map((x) => Number(x.toFixed(5)))).toEqual([...first].map((w, i) => Number((w + 1.5 * meanDelta[i]!).toFixed(5))));
  });

  it('FedAdam steps each weight by about the server rate in the direction of the mean delta', () => {
    const next = fedAdam({ serverLearningRate: 0.01, tau: 1e-9 }).aggregate(base, contributions);
    // First step: m = 0.1·Δ̄, v = 0.01·Δ̄², so m/√v = sign(Δ̄).
    expect([...next].map((w, i) => Number(((w - base[i]!) / 0.01).toFixed(4)))).toEqual([1, 1, -1]);
  });

  it('carries server state from one curator to the next', () => {
    for (const make of [() => fedAvgM(), () => fedAdam()]) {
      const oneCurator = make();
      const continued = oneCurator.aggregate(oneCurator.aggregate(base, contributions), contributions);
      const first = make();
      const afterFirst = first.aggregate(base, contributions);
      const second = make();
      second.importState(first.exportState());
      expect([...second.aggregate(afterFirst, contributions)]).toEqual([...continued]);
      expect([...make().aggregate(afterFirst, contributions)]).not.toEqual([...continued]);
    }
  });

  it('rejects empty, mis-sized and sample-less contributions, naming the sender', () => {
    for (const name of STRATEGY_NAMES) {
      const strategy = createStrategy(name);
      expect(() => strategy.aggregate(base, [])).toThrow(/no contributions/);
      expect(() => strategy.aggregate(base, [{ from: 'peer-x', delta: new Float32Array(2), samples: 1 }])).toThrow(/peer-x has 2 values, the base has 3/);
      expect(() => strategy.aggregate(base, [{ from: 'peer-y', delta: new Float32Array(3), samples: 0 }])).toThrow(/peer-y claims 0 samples/);
    }
  });
});

