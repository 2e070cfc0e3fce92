import { describe, expect, it } from 'vitest';
import {
  assertPartition,
  dirichlet,
  iid,
  labelHistograms,
  labelSkew,
  partition,
  PartitionError,
  partitionStats,
  quantitySkew,
  shards,
  type PartitionSpec,
} from '../../node/learn/data/partition.ts';
import { Rng } from '../../node/learn/rng.ts';

const ROWS = 10_000;
const CLASSES = 10;
const labels = (() => {
  const rng = new Rng('partition-test-labels');
  return Int32Array.from({ length: ROWS }, () => rng.int(CLASSES));
})();

const SPECS: readonly [string, PartitionSpec, number][] = [
  ['iid', { kind: 'iid' }, 10],
  ['dirichlet 0.1', { kind: 'dirichlet', alpha: 0.1 }, 10],
  ['dirichlet 0.5 with 100 clients', { kind: 'dirichlet', alpha: 0.5 }, 100],
  ['dirichlet 100', { kind: 'dirichlet', alpha: 100 }, 10],
  ['shards', { kind: 'shards' }, 100],
  ['shards 3 per client', { kind: 'shards', shardsPerClient: 3 }, 37],
  ['quantity', { kind: 'quantity', alpha: 0.5 }, 20],
];

describe('partitioners', () => {
  it.each(SPECS)('%s: disjoint, covering every row once, sorted, no empty client', (_name, spec, clients) => {
    const parts = partition(spec, labels, CLASSES, clients, 1);
    expect(parts).toHaveLength(clients);
    expect(() => assertPartition(parts, ROWS)).not.toThrow();
    for (const part of parts) {
      expect(part.length).toBeGreaterThanOrEqual(1);
      expect(part.every((row, i) => i === 0 || (part[i - 1] as number) < row)).toBe(true);
    }
  });

  it.each(SPECS)('%s: same seed gives the same split, another seed another split', (_name, spec, clients) => {
    const a = partition(spec, labels, CLASSES, clients, 42);
    expect(partition(spec, labels, CLASSES, clients, 42)).toEqual(a);
    expect(partition(spec, labels, CLASSES, clients, 43)).not.toEqual(a);
  });

  it('assertPartition catches overlaps, gaps and out-of-range rows', () => {
    expect(() => assertPartition([[0, 1], [1, 2]], 3)).toThrow(/row 1 is given to more than one client/);
    expect(() => assertPartition([[0], [2]], 3)).toThrow(/hold 2 of 3 rows/);
    expect(() => assertPartition([[0, 3]], 3)).toThrow(/outside/);
    expect(() => assertPartition([[2, 0], [1]], 3)).not.toThrow();
  });

  it('iid deals sizes differing by at most 1 and mirrors the global label mix', () => {
    const parts = iid(labels, 7, new Rng(5));
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(sizes.reduce((s, x) => s + x, 0)).toBe(ROWS);
    expect(labelSkew(labels, parts, CLASSES)).toBeLessThan(0.06);
  });

  it('dirichlet: alpha 0.1 is far more skewed than IID, alpha 100 is close to IID', () => {
    const skew = (spec: PartitionSpec): number => labelSkew(labels, partition(spec, labels, CLASSES, 10, 9), CLASSES);
    const iidSkew = skew({ kind: 'iid' });
    const low = skew({ kind: 'dirichlet', alpha: 0.1 });
    const mid = skew({ kind: 'dirichlet', alpha: 1 });
    const high = skew({ kind: 'dirichlet', alpha: 100 });
    expect(iidSkew).toBeLessThan(0.06);
    expect(low).toBeGreaterThan(0.5);
    expect(low).toBeGreaterThan(8 * iidSkew);
    expect(mid).toBeGreaterThan(high);
    expect(low).toBeGreaterThan(mid);
    expect(high).toBeLessThan(0.08);
    expect(Math.abs(high - iidSkew)).toBeLessThan(0.04);
    // With alpha 0.1 most clients miss some classes entirely.
    const stats = partitionStats(labels, partition({ kind: 'dirichlet', alpha: 0.1 }, labels, CLASSES, 10, 9), CLASSES);
    expect(stats.meanLabelsPerClient).toBeLessThan(8);
  });

  it('dirichlet honours minPerClient and fails clearly when it cannot', () => {
    const parts = dirichlet(labels, CLASSES, 50, 0.1, new Rng(3), { minPerClient: 20 });
    expect(Math.min(...parts.map((p) => p.length))).toBeGreaterThanOrEqual(20);
    assertPartition(parts, ROWS);
    // 2 classes, 100 clients, tiny alpha: almost all mass of each class lands on one client.
    const twoClasses = Int32Array.from({ length: 1000 }, (_, i) => i % 2);
    expect(() => dirichlet(twoClasses, 2, 100, 0.001, new Rng(1), { maxAttempts: 20 })).toThrow(PartitionError);
    expect(() => dirichlet(twoClasses, 2, 100, 0.001, new Rng(1), { maxAttempts: 20 })).toThrow(/raise alpha, use fewer clients or lower minPerClient/);
  });

  it('dirichlet without balancing still partitions, and balancing bounds client sizes', () => {
    const plain = dirichlet(labels, CLASSES, 10, 0.3, new Rng(8), { balance: false });
    assertPartition(plain, ROWS);
    const balanced = partitionStats(labels, dirichlet(labels, CLASSES, 10, 0.3, new Rng(8)), CLASSES);
    // A client stops receiving once past n/clients, so it can exceed it by at most one class's rows.
    expect(balanced.maxSize).toBeLessThan(ROWS / 10 + Math.max(...labelHistograms(labels, [labels.map((_, i) => i)], CLASSES)[0] as number[]));
  });

  it('shards: clients mostly see at most shardsPerClient labels', () => {
    const parts = shards(labels, 100, new Rng(4));
    const stats = partitionStats(labels, parts, CLASSES);
    const atMostTwo = stats.labelsPerClient.filter((n) => n <= 2).length;
    expect(atMostTwo).toBeGreaterThanOrEqual(80);
    expect(Math.max(...stats.labelsPerClient)).toBeLessThanOrEqual(4);
    expect(stats.meanLabelsPerClient).toBeLessThan(2.5);
    expect(stats.minSize).toBe(100);
    expect(stats.maxSize).toBe(100);
    const iidStats = partitionStats(labels, iid(labels, 100, new Rng(4)), CLASSES);
    expect(iidStats.meanLabelsPerClient).toBeGreaterThan(9.5);
    expect(stats.skew).toBeGreaterThan(0.7);
  });

  it('quantity skew: very unequal sizes, each at least minPerClient, label mix still IID-like', () => {
    const parts = quantitySkew(ROWS, 20, new Rng(6), { alpha: 0.5, minPerClient: 5 });
    assertPartition(parts, ROWS);
    const stats = partitionStats(labels, parts, CLASSES);
    expect(stats.minSize).toBeGreaterThanOrEqual(5);
    expect(stats.maxSize).toBeGreaterThan(4 * stats.minSize);
    expect(stats.sizeCv).toBeGreaterThan(0.5);
    const iidCv = partitionStats(labels, iid(labels, 20, new Rng(6)), CLASSES).sizeCv;
    expect(iidCv).toBeLessThan(0.01);
    // Clients with many rows mirror the global label mix.
    const big = parts.filter((p) => p.length >= 500);
    expect(big.length).toBeGreaterThan(0);
    expect(labelSkew(labels, big, CLASSES)).toBeLessThan(0.06);
  });

  it('rejects bad parameters with clear errors', () => {
    const bad: [PartitionSpec, number, RegExp][] = [
      [{ kind: 'iid' }, 0, /clients must be a whole number ≥ 1, got 0/],
      [{ kind: 'iid' }, 2.5, /clients must be a whole number/],
      [{ kind: 'iid' }, ROWS + 1, /cannot give 10001 clients a row each from 10000 rows/],
      [{ kind: 'dirichlet', alpha: 0 }, 10, /alpha must be a finite number > 0, got 0/],
      [{ kind: 'dirichlet', alpha: -1 }, 10, /alpha must be/],
      [{ kind: 'dirichlet', alpha: Number.NaN }, 10, /alpha must be/],
      [{ kind: 'quantity', alpha: Number.POSITIVE_INFINITY }, 10, /alpha must be/],
      [{ kind: 'shards', shardsPerClient: 0 }, 10, /shardsPerClient must be a whole number ≥ 1/],
      [{ kind: 'shards', shardsPerClient: 2 }, 6000, /cannot give 6000 clients 2 rows each/],
      [{ kind: 'dirichlet', alpha: 1, minPerClient: 0 }, 10, /minPerClient must be/],
    ];
    for (const [spec, clients, message] of bad) {
      expect(() => partition(spec, labels, CLASSES, clients, 1), `${JSON.stringify(spec)} × ${clients}`).toThrow(message);
    }
    expect(() => partition({ kind: 'iid' }, labels, 5, 10, 1)).toThrow(/label \d, outside \[0, 5\)/);
    expect(() => partition({ kind: 'lognormal' } as unknown as PartitionSpec, labels, CLASSES, 10, 1)).toThrow(/unknown partition kind "lognormal"/);
  });

  it('labelHistograms and labelSkew: identical mixes give 0, disjoint classes give the expected distance', () => {
    const twoClasses = Int32Array.from([0, 0, 1, 1]);
    expect(labelHistograms(twoClasses, [[0, 2], [1, 3]], 2)).toEqual([[1, 1], [1, 1]]);
    expect(labelSkew(twoClasses, [[0, 2], [1, 3]], 2)).toBe(0);
    // Each client holds one class; global mix is 50/50: TV = 0.5.
    expect(labelSkew(twoClasses, [[0, 1], [2, 3]], 2)).toBeCloseTo(0.5, 12);
  });
});
