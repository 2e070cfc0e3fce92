/** Known answers of the robust rules, computed by hand on tiny inputs (PROTOCOL §7.8). */
import { describe, expect, it } from 'vitest';
import { createStrategy, type Contribution } from '../../node/aggregate/index.ts';
import type { StatefulStrategy } from '../../node/aggregate/server-optimizers.ts';

const f32 = Math.fround;
const contribution = (from: string, delta: number[], samples = 1): Contribution => ({ from, delta: Float32Array.from(delta), samples });
const run = (name: Parameters<typeof createStrategy>[0], parameters: Record<string, unknown>, base: number[], contributions: Contribution[]) =>
  [...createStrategy(name, parameters).aggregate(Float32Array.from(base), contributions)];

const base = [1, 2, 3];
const odd = [contribution('a', [1, 0, -1]), contribution('b', [-1, 2, 1]), contribution('c', [0, 5, 0])];
const even = [...odd, contribution('d', [3, 1, 2])];

describe('coordinate-wise median', () => {
  it('takes the middle value at each weight for an odd count', () => {
    // Columns sorted: [-1, 0, 1] → 0, [0, 2, 5] → 2, [-1, 0, 1] → 0.
    expect(run('median', {}, base, odd)).toEqual([1, 4, 3]);
  });

  it('takes the mean of the two middle values for an even count', () => {
    // [-1, 0, 1, 3] → 0.5, [0, 1, 2, 5] → 1.5, [-1, 0, 1, 2] → 0.5.
    expect(run('median', {}, base, even)).toEqual([1.5, 3.5, 3.5]);
  });

  it('ignores the claimed sample counts', () => {
    expect(run('median', {}, base, odd.map((c, i) => ({ ...c, samples: 1 + 1000 * i })))).toEqual([1, 4, 3]);
  });
});

describe('trimmed mean', () => {
  const five = [...even, contribution('e', [10, -10, 0])];

  it('drops ⌊β·n⌋ values on each side and averages the rest', () => {
    // β = 0.2, n = 5: one per side. [-1, 0, 1, 3, 10] → 4/3; [-10, 0, 1, 2, 5] → 1; [-1, 0, 0, 1, 2] → 1/3.
    expect(run('trimmed-mean', { trimFraction: 0.2 }, base, five)).toEqual([f32(1 + 4 / 3), 3, f32(3 + 1 / 3)]);
  });

  it('is the unweighted mean when ⌊β·n⌋ is 0', () => {
    // β = 0.1, n = 5: 0.5 rounds down to 0. Means: 13/5, −2/5, 2/5.
    expect(run('trimmed-mean', { trimFraction: 0.1 }, base, five)).toEqual([f32(1 + 13 / 5), f32(2 - 2 / 5), f32(3 + 2 / 5)]);
  });
});

describe('Multi-Krum', () => {
  // 1-D deltas 0, 1, 2, 10 from a, b, c, d. Squared distances: ab 1, ac 4, ad 100, bc 1, bd 81, cd 64.
  const line = [contribution('a', [0]), contribution('b', [1]), contribution('c', [2]), contribution('d', [10])];

  it('with f = 0 scores each delta by its n − 2 = 2 nearest and keeps the best (Krum)', () => {
    // Scores: a 1+4 = 5, b 1+1 = 2, c 1+4 = 5, d 64+81 = 145 → b.
    expect(run('multi-krum', { byzantine: 0, select: 1 }, [0], line)).toEqual([1]);
  });

  it('breaks score ties by sender id and averages the m kept', () => {
    // f = 1: one nearest each. Scores a 1, b 1, c 1, d 64: m = 2 keeps a and b, m = 3 keeps a, b, c.
    expect(run('multi-krum', { byzantine: 1, select: 1 }, [0], line)).toEqual([0]);
    expect(run('multi-krum', { byzantine: 1, select: 2 }, [0], line)).toEqual([0.5]);
    expect(run('multi-krum', { byzantine: 1, select: 3 }, [0], line)).toEqual([1]);
    expect(run('multi-krum', { byzantine: 1, select: 3 }, [0], [...line].reverse())).toEqual([1]);
  });

  it('still aggregates when there are too few deltas for f (at least one neighbour, at most n kept)', () => {
    expect(run('multi-krum', { byzantine: 5, select: 9 }, [0], line.slice(0, 2))).toEqual([0.5]);
    expect(run('multi-krum', { byzantine: 5, select: 9 }, [0], line.slice(3))).toEqual([10]);
  });
});

describe('geometric median (smoothed Weiszfeld)', () => {
  // 1-D deltas 0, 1, 10: the geometric median is 1.
  const line = [contribution('a', [0], 1), contribution('b', [1], 1), contribution('c', [10], 3)];

  it('does exactly T iterations from the weighted mean', () => {
    // z0 = 11/3; β = (3/11, 3/8, 3/19); z1 = (3/8 + 30/19) / (3/11 + 3/8 + 3/19) = 3267/1347.
    expect(run('geometric-median', { iterations: 1 }, [0], line)).toEqual([f32(3267 / 1347)]);
  });

  it('converges to the median of a line and ignores samples unless asked', () => {
    expect(run('geometric-median', { iterations: 200 }, [0], line)[0]).toBeCloseTo(1, 4);
    // Weighted by samples (1, 3) between 0 and 10: z0 = 7.5; β = (1/4)/7.5, (3/4)/2.5; z1 = 3 / (1/30 + 9/30) = 9.
    expect(run('geometric-median', { iterations: 1, weights: 'samples' }, [0], [line[0]!, line[2]!])).toEqual([9]);
  });

  it('uses ν for a point sitting on a delta instead of dividing by zero', () => {
    const same = [contribution('a', [2, 2]), contribution('b', [2, 2])];
    expect(run('geometric-median', { iterations: 3, smoothing: 1e-3 }, [0, 0], same)).toEqual([2, 2]);
  });
});

describe('centered clipping', () => {
  // 1-D deltas 0.5, 3, −4 with τ = 1.
  const line = [contribution('a', [0.5]), contribution('b', [3]), contribution('c', [-4])];

  it('clips each offset from the zero centre to τ and averages (L = 1)', () => {
    // Factors 1, 1/3, 1/4 → v = (0.5 + 1 − 1) / 3 = 1/6; the next centre is v.
    const strategy = createStrategy('centered-clipping', { clipRadius: 1 }) as StatefulStrategy;
    expect([...strategy.aggregate(Float32Array.from([1]), line)]).toEqual([f32(1 + 1 / 6)]);
    expect(strategy.exportState().map((s) => [...s])).toEqual([[f32(1 / 6)]]);
  });

  it('iterates L times around the moving centre', () => {
    // L = 2: v1 = 1/6; offsets 1/3 (kept), 17/6 → 1, −25/6 → −1; v2 = 1/6 + (1/3)/3 = 5/18.
    expect(run('centered-clipping', { clipRadius: 1, iterations: 2 }, [0], line)).toEqual([f32(5 / 18)]);
  });

  it('starts from the centre in the base version and applies server momentum', () => {
    // c = 1: offsets −0.5 (kept), 2 → 1, −5 → −1; v = 1 + (−0.5)/3 = 5/6; m = 0.5·1 + 0.5·5/6 = 11/12.
    const strategy = createStrategy('centered-clipping', { clipRadius: 1, momentum: 0.5 }) as StatefulStrategy;
    strategy.importState([Float32Array.from([1])]);
    expect([...strategy.aggregate(Float32Array.from([0]), line)]).toEqual([f32(11 / 12)]);
    expect(strategy.exportState().map((s) => [...s])).toEqual([[f32(11 / 12)]]);
  });
});

describe('norm clipping', () => {
  it('scales each delta longer than τ down to τ, then takes the sample-weighted mean', () => {
    // ‖(3, 4)‖ = 5 → (0.6, 0.8); (0.3, 0.4) is kept; equal samples → (0.45, 0.6).
    const next = run('norm-clipping', { clipNorm: 1 }, [0, 0], [contribution('a', [3, 4]), contribution('b', [0.3, 0.4])]);
    expect(next[0]).toBeCloseTo(0.45, 6);
    expect(next[1]).toBeCloseTo(0.6, 6);
  });

  it('is FedAvg bit for bit when no delta is longer than τ', () => {
    const deltas = [contribution('a', [0.1, -0.2, 0.3], 30), contribution('b', [-0.1, 0.25, 0.05], 10)];
    expect(run('norm-clipping', { clipNorm: 10 }, base, deltas)).toEqual(run('fedavg', {}, base, deltas));
  });
});
