/**
 * Graph statistics for tests and reports: degree summary, connectedness, average clustering
 * coefficient and average shortest path length. The last two sample nodes on big graphs
 * (pass an `Rng` so the sample is reproducible).
 */
import type { Rng } from '../../node/learn/rng.ts';
import type { Topology } from './graph.ts';

export interface DegreeStats {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

/** Min / mean / max degree (out-degree for directed topologies). */
export function degreeStats(topology: Topology): DegreeStats {
  let min = Infinity;
  let max = 0;
  let total = 0;
  for (let i = 0; i < topology.size; i++) {
    const d = topology.degree(i);
    min = Math.min(min, d);
    max = Math.max(max, d);
    total += d;
  }
  return { min: topology.size === 0 ? 0 : min, mean: topology.size === 0 ? 0 : total / topology.size, max };
}

/** Breadth-first hop distances from `source` (-1 where unreachable), following `neighbours`. */
export function bfsDistances(topology: Topology, source: number): Int32Array {
  const distance = new Int32Array(topology.size).fill(-1);
  const queue = new Int32Array(topology.size);
  let head = 0;
  let tail = 0;
  distance[source] = 0;
  queue[tail++] = source;
  while (head < tail) {
    const u = queue[head++] as number;
    const next = (distance[u] as number) + 1;
    for (const v of topology.neighbours(u)) {
      if (distance[v] !== -1) continue;
      distance[v] = next;
      queue[tail++] = v;
    }
  }
  return distance;
}

/**
 * Whether every node is reachable from node 0. For undirected topologies that is connectedness;
 * for directed ones it is reachability along out-edges from node 0 only.
 */
export function isConnected(topology: Topology): boolean {
  if (topology.size <= 1) return true;
  return !bfsDistances(topology, 0).includes(-1);
}

export interface SampleOptions {
  /** How many nodes to sample; all nodes when absent or ≥ size. */
  readonly samples?: number;
  /** Needed when sampling fewer than all nodes. */
  readonly rng?: Rng;
}

function sampleNodes(size: number, options: SampleOptions): readonly number[] {
  const samples = options.samples;
  if (samples === undefined || samples >= size) return Array.from({ length: size }, (_, i) => i);
  if (options.rng === undefined) throw new RangeError('sampling fewer nodes than the graph has needs an rng');
  return options.rng.permutation(size).slice(0, samples);
}

/** Local clustering of node i: the fraction of its neighbour pairs that are linked (0 when degree < 2). */
export function localClustering(topology: Topology, i: number): number {
  const neighbours = topology.neighbours(i);
  const d = neighbours.length;
  if (d < 2) return 0;
  let links = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a + 1; b < d; b++) if (topology.has(neighbours[a] as number, neighbours[b] as number)) links++;
  }
  return (2 * links) / (d * (d - 1));
}

/** Average local clustering coefficient (Watts–Strogatz definition), over all or sampled nodes. */
export function averageClustering(topology: Topology, options: SampleOptions = {}): number {
  const nodes = sampleNodes(topology.size, options);
  if (nodes.length === 0) return 0;
  let total = 0;
  for (const i of nodes) total += localClustering(topology, i);
  return total / nodes.length;
}

/**
 * Mean hop distance between reachable pairs, by BFS from all or sampled sources (unreachable
 * pairs are left out; NaN when nothing is reachable).
 */
export function averageShortestPath(topology: Topology, options: SampleOptions = {}): number {
  const sources = sampleNodes(topology.size, options);
  let total = 0;
  let pairs = 0;
  for (const s of sources) {
    const distance = bfsDistances(topology, s);
    for (const d of distance) {
      if (d > 0) {
        total += d;
        pairs++;
      }
    }
  }
  return pairs === 0 ? Number.NaN : total / pairs;
}
