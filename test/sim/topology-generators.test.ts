import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  TopologyError,
  averageClustering,
  averageShortestPath,
  barabasiAlbert,
  complete,
  degreeStats,
  isConnected,
  randomRegular,
  ring,
  wattsStrogatz,
} from '../../sim/topology/index.ts';
import type { Topology } from '../../sim/topology/index.ts';

/** Every edge symmetric, no self-loops, no duplicate neighbours, rows ascending. */
function expectSimpleUndirected(g: Topology): void {
  const problems: string[] = [];
  let ends = 0;
  for (let i = 0; i < g.size; i++) {
    const row = g.neighbours(i);
    if (row.length !== g.degree(i)) problems.push(`degree(${i}) ≠ neighbour count`);
    ends += row.length;
    for (let p = 0; p < row.length; p++) {
      const j = row[p] as number;
      if (j === i) problems.push(`self-loop at ${i}`);
      if (p > 0 && j <= (row[p - 1] as number)) problems.push(`row ${i} not strictly ascending (duplicate?)`);
      if (!g.has(j, i)) problems.push(`edge ${i}-${j} is not symmetric`);
    }
  }
  expect(problems.slice(0, 5)).toEqual([]);
  expect(ends).toBe(2 * g.edgeCount);
}

function sameGraph(a: Topology, b: Topology): boolean {
  if (a.size !== b.size || a.edgeCount !== b.edgeCount) return false;
  for (let i = 0; i < a.size; i++) {
    if (Array.from(a.neighbours(i)).join() !== Array.from(b.neighbours(i)).join()) return false;
  }
  return true;
}

describe('complete', () => {
  it('is implicit: every pair linked, degree n-1, no N² storage', () => {
    const g = complete(10_000);
    expect(g.degree(17)).toBe(9_999);
    expect(g.has(3, 9_999)).toBe(true);
    expect(g.has(5, 5)).toBe(false);
    expect(g.edgeCount).toBe((10_000 * 9_999) / 2);
    const rng = new Rng(1);
    for (let t = 0; t < 1000; t++) {
      const j = g.randomNeighbour(42, rng) as number;
      expect(j).not.toBe(42);
      expect(j >= 0 && j < 10_000).toBe(true);
    }
    expectSimpleUndirected(complete(30));
  });
});

describe('ring', () => {
  it('links each node to its k nearest on each side: degree 2k, clustering 3(k-1)/(2(2k-1))', () => {
    const g = ring(100, 3);
    expectSimpleUndirected(g);
    expect(degreeStats(g)).toEqual({ min: 6, mean: 6, max: 6 });
    expect(Array.from(g.neighbours(0))).toEqual([1, 2, 3, 97, 98, 99]);
    expect(averageClustering(g)).toBeCloseTo((3 * 2) / (2 * 5), 10);
    expect(isConnected(g)).toBe(true);
    expect(degreeStats(ring(10))).toEqual({ min: 2, mean: 2, max: 2 });
  });

  it('rejects k too large for n with an explanation', () => {
    expect(() => ring(6, 3)).toThrow(TopologyError);
    expect(() => ring(6, 3)).toThrow(/greater than 2k/);
  });
});

describe('randomRegular', () => {
  it('every degree exactly k, simple, connected (n=1000, k=7)', () => {
    const g = randomRegular(1000, 7, new Rng('rr'));
    expectSimpleUndirected(g);
    expect(degreeStats(g)).toEqual({ min: 7, mean: 7, max: 7 });
    expect(g.edgeCount).toBe(3500);
    expect(isConnected(g)).toBe(true);
  });

  it('dense requests (via the complement) are also exactly regular and simple', () => {
    const g = randomRegular(40, 33, new Rng(3));
    expectSimpleUndirected(g);
    expect(degreeStats(g)).toEqual({ min: 33, mean: 33, max: 33 });
    expect(degreeStats(randomRegular(12, 11, new Rng(3)))).toEqual({ min: 11, mean: 11, max: 11 });
  });

  it('same seed same graph, other seed other graph', () => {
    const a = randomRegular(500, 5, new Rng(9));
    expect(sameGraph(a, randomRegular(500, 5, new Rng(9)))).toBe(true);
    expect(sameGraph(a, randomRegular(500, 5, new Rng(10)))).toBe(false);
  });

  it('rejects odd n·k and k ≥ n', () => {
    expect(() => randomRegular(11, 3, new Rng(1))).toThrow(/n·k must be even/);
    expect(() => randomRegular(10, 10, new Rng(1))).toThrow(/less than n/);
  });

  it('builds 10,000 nodes with k=7 quickly', () => {
    const started = performance.now();
    const g = randomRegular(10_000, 7, new Rng('big'));
    const ms = performance.now() - started;
    console.log(`randomRegular(10000, 7): ${ms.toFixed(1)} ms`);
    expect(degreeStats(g)).toEqual({ min: 7, mean: 7, max: 7 });
    expect(isConnected(g)).toBe(true);
  });
});

describe('wattsStrogatz (k neighbours each side)', () => {
  const n = 2000;
  const k = 3;
  const lattice = (3 * (k - 1)) / (2 * (2 * k - 1));
  const pathOf = (g: Topology): number => averageShortestPath(g, { samples: 60, rng: new Rng('paths') });

  it('beta = 0 is the ring lattice', () => {
    const g = wattsStrogatz(n, k, 0, new Rng(1));
    expect(sameGraph(g, ring(n, k))).toBe(true);
    expect(averageClustering(g)).toBeCloseTo(lattice, 10);
  });

  it('keeps n·k simple edges for any beta; beta = 1 has low clustering', () => {
    const g = wattsStrogatz(n, k, 1, new Rng(2));
    expectSimpleUndirected(g);
    expect(g.edgeCount).toBe(n * k);
    expect(averageClustering(g)).toBeLessThan(0.05);
  });

  it('small-world regime (beta = 0.1): clustering stays high, paths become much shorter', () => {
    const latticeGraph = wattsStrogatz(n, k, 0, new Rng(3));
    const small = wattsStrogatz(n, k, 0.1, new Rng(3));
    expect(averageClustering(small)).toBeGreaterThan(0.5 * lattice);
    const latticePath = pathOf(latticeGraph);
    const smallPath = pathOf(small);
    expect(latticePath).toBeGreaterThan(100); // ≈ n / (4k)
    expect(smallPath).toBeLessThan(latticePath / 10);
  });

  it('same seed same graph', () => {
    expect(sameGraph(wattsStrogatz(300, 2, 0.3, new Rng(5)), wattsStrogatz(300, 2, 0.3, new Rng(5)))).toBe(true);
    expect(sameGraph(wattsStrogatz(300, 2, 0.3, new Rng(5)), wattsStrogatz(300, 2, 0.3, new Rng(6)))).toBe(false);
  });

  it('rejects beta outside [0, 1]', () => {
    expect(() => wattsStrogatz(100, 2, 1.5, new Rng(1))).toThrow(/beta must be a probability/);
  });
});

describe('barabasiAlbert', () => {
  it('≈ n·m edges, heavy-tailed degrees, connected, min degree m', () => {
    const n = 5000;
    const m = 3;
    const g = barabasiAlbert(n, m, new Rng('ba'));
    expectSimpleUndirected(g);
    expect(g.edgeCount).toBe((m * (m + 1)) / 2 + (n - m - 1) * m);
    const stats = degreeStats(g);
    expect(stats.min).toBe(m);
    expect(stats.mean).toBeCloseTo(2 * m, 1);
    expect(stats.max).toBeGreaterThan(10 * stats.mean);
    expect(isConnected(g)).toBe(true);
  });

  it('same seed same graph', () => {
    expect(sameGraph(barabasiAlbert(400, 2, new Rng(1)), barabasiAlbert(400, 2, new Rng(1)))).toBe(true);
    expect(sameGraph(barabasiAlbert(400, 2, new Rng(1)), barabasiAlbert(400, 2, new Rng(2)))).toBe(false);
  });

  it('rejects n ≤ m', () => {
    expect(() => barabasiAlbert(3, 3, new Rng(1))).toThrow(/greater than m/);
  });
});

describe('randomNeighbour', () => {
  it('returns only neighbours, and undefined for an isolated node', () => {
    const g = ring(50, 2);
    const rng = new Rng(4);
    const seen = new Set<number>();
    for (let t = 0; t < 200; t++) seen.add(g.randomNeighbour(10, rng) as number);
    expect([...seen].sort((a, b) => a - b)).toEqual([8, 9, 11, 12]);
    expect(randomRegular(4, 0, new Rng(1)).randomNeighbour(0, rng)).toBeUndefined();
  });
});
