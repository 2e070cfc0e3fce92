import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';

describe('Rng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 100 }, () => a.next());
    const seqB = Array.from({ length: 100 }, () => b.next());
    const seqC = Array.from({ length: 100 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(new Rng('task-a').next()).not.toBe(new Rng('task-b').next());
  });

  it('forks independent streams without advancing the parent', () => {
    const parent = new Rng(1);
    const before = new Rng(1).next();
    const childA = parent.fork('peer-1');
    const childB = parent.fork('peer-2');
    expect(parent.next()).toBe(before);
    expect(childA.next()).not.toBe(childB.next());
    expect(new Rng(1).fork('peer-1').next()).toBe(new Rng(1).fork('peer-1').next());
  });

  it('draws uniforms in [0,1) with mean near 1/2 and integers in range', () => {
    const rng = new Rng(3);
    let sum = 0;
    let outOfRange = 0;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const u = rng.next();
      if (u < 0 || u >= 1) outOfRange++;
      sum += u;
      const k = rng.int(10);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('draws normals with mean 0 and variance 1, gammas with mean equal to shape', () => {
    const rng = new Rng(5);
    const n = 50_000;
    const normals = Array.from({ length: n }, () => rng.normal());
    const mean = normals.reduce((s, x) => s + x, 0) / n;
    const variance = normals.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    for (const shape of [0.3, 1, 4]) {
      const gammas = Array.from({ length: n }, () => rng.gamma(shape));
      expect(Math.abs(gammas.reduce((s, x) => s + x, 0) / n - shape) / shape).toBeLessThan(0.05);
    }
  });

  it('samples Dirichlet vectors that sum to one and are skewed for small alpha', () => {
    const rng = new Rng(9);
    const skewed = rng.dirichlet(0.05, 10);
    const flat = rng.dirichlet(1000, 10);
    expect(skewed.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 10);
    expect(Math.max(...skewed)).toBeGreaterThan(0.5);
    expect(Math.max(...flat)).toBeLessThan(0.15);
  });

  it('shuffles into a permutation and rejects bad arguments', () => {
    const perm = new Rng(11).permutation(1000);
    expect([...perm].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(perm).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(() => new Rng(1).int(0)).toThrow(/positive integer/);
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(() => new Rng(1).gamma(0)).toThrow(/> 0/);
  });
});
