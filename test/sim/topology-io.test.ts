import { describe, expect, it } from 'vitest';
import { Rng } from '../../node/learn/rng.ts';
import {
  TopologyError,
  averageShortestPath,
  buildTopology,
  degreeStats,
  dynamicOut,
  fromEdgeList,
  inDegrees,
  isConnected,
  localClustering,
  parseTopologySpec,
  transpose,
} from '../../sim/topology/index.ts';
import type { Topology } from '../../sim/topology/index.ts';

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an error');
}

function rows(g: Topology): string {
  return Array.from({ length: g.size }, (_, i) => Array.from(g.neighbours(i)).join(',')).join(' | ');
}

describe('fromEdgeList', () => {
  it('reads "a b" and "a,b", comments, blank lines; undirected; merges duplicates', () => {
    const g = fromEdgeList('# overlay\n0 1\n1,2   # trailing comment\n\n  2 ,  3\n1 0\n3\t0\r\n', 'ring.txt');
    expect(g.size).toBe(4);
    expect(g.edgeCount).toBe(4);
    expect(Array.from(g.neighbours(0))).toEqual([1, 3]);
    expect(g.has(3, 2) && g.has(2, 3)).toBe(true);
    expect(isConnected(g)).toBe(true);
  });

  it('with a size, keeps isolated nodes and rejects ids out of range', () => {
    const g = fromEdgeList('0 1', 'x', { size: 5 });
    expect(g.size).toBe(5);
    expect(g.degree(4)).toBe(0);
    expect(isConnected(g)).toBe(false);
  });

  it('lists every malformed line with its line number', () => {
    const error = errorOf(() => fromEdgeList('0 1\nfoo\n2 2\n1 2 3\n-1 4\n0 9\n1 x\n', 'bad.txt', { size: 5 }));
    expect(error).toBeInstanceOf(TopologyError);
    expect(error.message).toMatch(/^bad\.txt: 6 malformed edge-list lines/);
    expect(error.message).toContain('bad.txt:2: expected an edge as two node ids');
    expect(error.message).toContain('bad.txt:3: self-loop 2–2');
    expect(error.message).toContain('bad.txt:4:');
    expect(error.message).toContain('bad.txt:5:');
    expect(error.message).toContain('bad.txt:6: node id 9 is out of range: with 5 nodes ids are 0..4');
    expect(error.message).toContain('bad.txt:7:');
    expect(error.message).not.toContain('bad.txt:1:');
  });

  it('rejects a file without edges', () => {
    expect(() => fromEdgeList('# nothing\n\n', 'empty.txt')).toThrow(/empty\.txt: the edge list has no edges/);
  });
});

describe('dynamicOut (Epidemic Learning s-out)', () => {
  it('every node has exactly s distinct out-neighbours other than itself', () => {
    const d = dynamicOut(1000, 7, 42);
    const g = d.forRound(0);
    expect(g.directed).toBe(true);
    expect(g.edgeCount).toBe(7000);
    const problems: string[] = [];
    for (let i = 0; i < g.size; i++) {
      const out = Array.from(g.neighbours(i));
      if (out.length !== 7 || new Set(out).size !== 7) problems.push(`node ${i}: ${out.join(',')}`);
      if (out.includes(i)) problems.push(`node ${i} picks itself`);
      if (out.some((j) => j < 0 || j >= 1000)) problems.push(`node ${i}: id out of range`);
    }
    expect(problems).toEqual([]);
    // The receive side varies around s and is not part of degree().
    const received = inDegrees(g);
    expect(received.reduce((a, b) => a + b, 0)).toBe(7000);
    expect(Math.max(...received)).toBeGreaterThan(7);
  });

  it('same (seed, round) gives the same graph; other rounds and seeds differ', () => {
    const a = dynamicOut(200, 3, 'seed');
    const b = dynamicOut(200, 3, 'seed');
    expect(rows(a.forRound(5))).toBe(rows(b.forRound(5)));
    expect(rows(a.forRound(5))).toBe(rows(b.forRound(6) && b.forRound(5)));
    expect(rows(a.forRound(5))).not.toBe(rows(a.forRound(6)));
    expect(rows(a.forRound(5))).not.toBe(rows(dynamicOut(200, 3, 'other').forRound(5)));
  });

  it('s = n-1 picks everyone else; transpose lists senders', () => {
    const g = dynamicOut(6, 5, 1).forRound(0);
    expect(Array.from(g.neighbours(2))).toEqual([0, 1, 3, 4, 5]);
    const small = dynamicOut(50, 2, 7).forRound(3);
    const back = transpose(small);
    for (let i = 0; i < 50; i++) for (const j of small.neighbours(i)) expect(back.has(j, i)).toBe(true);
    expect(back.edgeCount).toBe(small.edgeCount);
  });

  it('rejects s out of range', () => {
    expect(() => dynamicOut(10, 10, 1)).toThrow(/s must be a whole number in 1\.\.9/);
  });
});

describe('parseTopologySpec', () => {
  it('accepts every kind, with ring k defaulting to 1 and string shorthand', () => {
    expect(parseTopologySpec({ kind: 'complete' }, 's.yaml')).toEqual({ kind: 'complete' });
    expect(parseTopologySpec('ring', 's.yaml')).toEqual({ kind: 'ring', k: 1 });
    expect(parseTopologySpec({ kind: 'ring', k: 3 }, 's.yaml')).toEqual({ kind: 'ring', k: 3 });
    expect(parseTopologySpec({ kind: 'random-regular', k: 7 }, 's.yaml')).toEqual({ kind: 'random-regular', k: 7 });
    expect(parseTopologySpec({ kind: 'small-world', k: 2, beta: 0.1 }, 's.yaml')).toEqual({ kind: 'small-world', k: 2, beta: 0.1 });
    expect(parseTopologySpec({ kind: 'scale-free', m: 2 }, 's.yaml')).toEqual({ kind: 'scale-free', m: 2 });
    expect(parseTopologySpec({ kind: 'edge-list', path: 'o.txt' }, 's.yaml')).toEqual({ kind: 'edge-list', path: 'o.txt' });
    expect(parseTopologySpec({ kind: 'dynamic', s: 7 }, 's.yaml')).toEqual({ kind: 'dynamic', s: 7 });
  });

  it('lists every problem with its field path', () => {
    const error = errorOf(() => parseTopologySpec({ kind: 'small-world', k: 0, bta: 0.2 }, 'scenario.yaml', 'scenarios[1].topology'));
    expect(error).toBeInstanceOf(TopologyError);
    expect(error.message).toContain('scenario.yaml: invalid topology');
    expect(error.message).toContain('scenarios[1].topology: unknown field "bta" (did you mean "beta"?)');
    expect(error.message).toContain('scenarios[1].topology.k: must be a whole number ≥ 1, got 0');
    expect(error.message).toContain('scenarios[1].topology.beta: is required');
  });

  it('names a misspelt or missing kind', () => {
    expect(errorOf(() => parseTopologySpec({ kind: 'rnig' }, 's.yaml')).message).toContain('topology.kind: must be one of complete, ring');
    expect(errorOf(() => parseTopologySpec({ kind: 'rnig' }, 's.yaml')).message).toContain('did you mean "ring"?');
    expect(errorOf(() => parseTopologySpec({}, 's.yaml')).message).toContain('topology.kind: is required');
    expect(errorOf(() => parseTopologySpec([1], 's.yaml')).message).toContain('topology: must be a mapping');
    expect(errorOf(() => parseTopologySpec({ kind: 'edge-list' }, 's.yaml')).message).toContain('topology.path: is required');
  });
});

describe('buildTopology', () => {
  it('builds each kind for n peers, deterministic given the seed', () => {
    const n = 200;
    const specs = [
      parseTopologySpec('complete', 's'),
      parseTopologySpec({ kind: 'ring', k: 2 }, 's'),
      parseTopologySpec({ kind: 'random-regular', k: 4 }, 's'),
      parseTopologySpec({ kind: 'small-world', k: 2, beta: 0.2 }, 's'),
      parseTopologySpec({ kind: 'scale-free', m: 2 }, 's'),
    ];
    for (const spec of specs) {
      const overlay = buildTopology(spec, n, 11);
      expect(overlay.dynamic).toBe(false);
      expect(overlay.size).toBe(n);
      expect(overlay.forRound(0)).toBe(overlay.forRound(9));
      expect(isConnected(overlay.forRound(0))).toBe(true);
      if (spec.kind !== 'complete') expect(rows(overlay.forRound(0))).toBe(rows(buildTopology(spec, n, 11).forRound(0)));
    }
    expect(degreeStats(buildTopology(specs[2]!, n, 11).forRound(0))).toEqual({ min: 4, mean: 4, max: 4 });
  });

  it('dynamic changes per round; edge-list reads through readText and checks ids against n', () => {
    const dyn = buildTopology({ kind: 'dynamic', s: 3 }, 100, 'x');
    expect(dyn.dynamic).toBe(true);
    expect(rows(dyn.forRound(1))).not.toBe(rows(dyn.forRound(2)));
    expect(rows(dyn.forRound(1))).toBe(rows(buildTopology({ kind: 'dynamic', s: 3 }, 100, 'x').forRound(1)));
    const files: Record<string, string> = { 'o.txt': '0 1\n1 2\n2 3\n' };
    const readText = (path: string): string => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text;
    };
    expect(buildTopology({ kind: 'edge-list', path: 'o.txt' }, 4, 1, { readText }).forRound(0).edgeCount).toBe(3);
    expect(() => buildTopology({ kind: 'edge-list', path: 'o.txt' }, 3, 1, { readText })).toThrow(/o\.txt:3: node id 3 is out of range/);
    expect(() => buildTopology({ kind: 'edge-list', path: 'missing.txt' }, 3, 1, { readText })).toThrow(/cannot read the edge-list file missing\.txt/);
    expect(() => buildTopology({ kind: 'random-regular', k: 3 }, 11, 1)).toThrow(TopologyError);
  });
});

describe('statistics', () => {
  it('clustering and path length on small known graphs', () => {
    const triangleWithTail = fromEdgeList('0 1\n1 2\n2 0\n2 3\n', 't');
    expect(localClustering(triangleWithTail, 0)).toBe(1);
    expect(localClustering(triangleWithTail, 2)).toBeCloseTo(1 / 3, 12);
    expect(localClustering(triangleWithTail, 3)).toBe(0);
    const path = fromEdgeList('0 1\n1 2\n', 'p');
    // pairs (ordered): 0-1:1, 0-2:2, 1-0:1, 1-2:1, 2-0:2, 2-1:1 → 8/6
    expect(averageShortestPath(path)).toBeCloseTo(8 / 6, 12);
    expect(averageShortestPath(path, { samples: 3, rng: new Rng(1) })).toBeCloseTo(8 / 6, 12);
    expect(degreeStats(triangleWithTail)).toEqual({ min: 1, mean: 2, max: 3 });
  });
});
