/**
 * Static overlay generators: complete, ring lattice, random k-regular, Watts–Strogatz small
 * world and Barabási–Albert scale-free. All are simple undirected graphs, deterministic given
 * the `Rng` passed in.
 *
 * Convention for `ring` and `wattsStrogatz`: `k` is the number of neighbours on EACH side, so
 * every lattice node has degree 2k (networkx's `watts_strogatz_graph(n, K)` uses K = 2k).
 */
import type { Rng } from '../../node/learn/rng.ts';
import { CompleteTopology, EdgeBuffer, TopologyError, csrFromEdges } from './graph.ts';
import type { CsrTopology, Topology } from './graph.ts';

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TopologyError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  }
}

/** Node pair → one number (u < v); safe while size² < 2^53. */
function pairKey(size: number, u: number, v: number): number {
  return u < v ? u * size + v : v * size + u;
}

function csrFromKeys(size: number, keys: Iterable<number>): CsrTopology {
  const edges = new EdgeBuffer();
  for (const key of keys) edges.push(Math.floor(key / size), key % size);
  return csrFromEdges(size, edges, false);
}

/** Every node linked to every other; implicit (no edges stored). */
export function complete(n: number): Topology {
  requireInteger('complete: n', n, 1);
  return new CompleteTopology(n);
}

/** Ring lattice: node i linked to i±1 … i±k (mod n); degree 2k. Needs n > 2k. */
export function ring(n: number, k = 1): CsrTopology {
  requireInteger('ring: n', n, 1);
  requireInteger('ring: k', k, 1);
  if (n <= 2 * k) {
    throw new TopologyError(`ring: n must be greater than 2k = ${2 * k} (k neighbours on each side), got n = ${n}; use a complete topology for small n`);
  }
  const edges = new EdgeBuffer();
  for (let i = 0; i < n; i++) for (let j = 1; j <= k; j++) edges.push(i, (i + j) % n);
  return csrFromEdges(n, edges, false);
}

function shuffleInt32(values: Int32Array, length: number, rng: Rng): void {
  for (let i = length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = values[i] as number;
    values[i] = values[j] as number;
    values[j] = tmp;
  }
}

/**
 * One attempt at pairing stubs (configuration model with partial restarts, as networkx's
 * `random_regular_graph`): shuffle the unpaired stubs, pair them up, keep the pairs that make
 * a new simple edge, and repeat with the rest. Returns undefined when no valid pair remains.
 */
function tryRandomRegular(n: number, k: number, rng: Rng): Set<number> | undefined {
  const edges = new Set<number>();
  let stubs = new Int32Array(n * k);
  for (let i = 0; i < n; i++) stubs.fill(i, i * k, (i + 1) * k);
  let length = stubs.length;
  let stalls = 0;
  while (length > 0) {
    shuffleInt32(stubs, length, rng);
    const rest = new Int32Array(length);
    let restLength = 0;
    for (let p = 0; p < length; p += 2) {
      const a = stubs[p] as number;
      const b = stubs[p + 1] as number;
      const key = pairKey(n, a, b);
      if (a !== b && !edges.has(key)) {
        edges.add(key);
      } else {
        rest[restLength++] = a;
        rest[restLength++] = b;
      }
    }
    if (restLength === length) {
      if (++stalls > 100 || !hasSuitablePair(n, rest, restLength, edges)) return undefined;
    } else {
      stalls = 0;
    }
    stubs = rest;
    length = restLength;
  }
  return edges;
}

function hasSuitablePair(n: number, stubs: Int32Array, length: number, edges: Set<number>): boolean {
  const nodes = [...new Set(stubs.subarray(0, length))];
  for (let a = 0; a < nodes.length; a++) {
    for (let b = a + 1; b < nodes.length; b++) {
      if (!edges.has(pairKey(n, nodes[a] as number, nodes[b] as number))) return true;
    }
  }
  return false;
}

/**
 * A uniformly-ish random simple k-regular graph (no self-loops, no multi-edges). Needs
 * 0 ≤ k < n and n·k even. Dense requests (k > (n-1)/2) are built as the complement of a random
 * (n-1-k)-regular graph, so they are as easy as sparse ones. Connected with high probability for k ≥ 3.
 */
export function randomRegular(n: number, k: number, rng: Rng): CsrTopology {
  requireInteger('random-regular: n', n, 1);
  requireInteger('random-regular: k', k, 0);
  if (k >= n) throw new TopologyError(`random-regular: k must be less than n = ${n}, got k = ${k}`);
  if ((n * k) % 2 !== 0) throw new TopologyError(`random-regular: n·k must be even (every edge has two ends), got n = ${n}, k = ${k}; change n or k by one`);
  if (k > (n - 1) / 2) {
    const sparse = randomRegular(n, n - 1 - k, rng);
    const edges = new EdgeBuffer();
    for (let i = 0; i < n; i++) {
      const excluded = sparse.neighbours(i);
      let p = 0;
      for (let j = i + 1; j < n; j++) {
        while (p < excluded.length && (excluded[p] as number) < j) p++;
        if (excluded[p] !== j) edges.push(i, j);
      }
    }
    return csrFromEdges(n, edges, false);
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const edges = tryRandomRegular(n, k, rng);
    if (edges !== undefined) return csrFromKeys(n, edges);
  }
  throw new TopologyError(`random-regular: could not build a simple ${k}-regular graph on ${n} nodes in 100 attempts; try a different k or seed`);
}

/**
 * Watts–Strogatz small world: the ring lattice `ring(n, k)` (k neighbours each side), then each
 * lattice edge (i, i+j) is rewired with probability `beta` to (i, w), w uniform among nodes that
 * are neither i nor already linked to i (networkx's order: all j = 1 edges first, then j = 2 …).
 * beta = 0 is the lattice (clustering 3(k-1)/(2(2k-1))); beta = 1 is close to a random graph.
 * The edge count stays n·k; the graph may (rarely, for small k and large beta) be disconnected.
 */
export function wattsStrogatz(n: number, k: number, beta: number, rng: Rng): CsrTopology {
  requireInteger('small-world: n', n, 1);
  requireInteger('small-world: k', k, 1);
  if (!(beta >= 0 && beta <= 1)) throw new TopologyError(`small-world: beta must be a probability in [0, 1], got ${beta}`);
  if (n <= 2 * k) {
    throw new TopologyError(`small-world: n must be greater than 2k = ${2 * k} (k neighbours on each side), got n = ${n}`);
  }
  const edges = new Set<number>();
  const degree = new Int32Array(n).fill(2 * k);
  for (let i = 0; i < n; i++) for (let j = 1; j <= k; j++) edges.add(pairKey(n, i, (i + j) % n));
  for (let j = 1; j <= k; j++) {
    for (let u = 0; u < n; u++) {
      if (!(rng.next() < beta)) continue;
      if ((degree[u] as number) >= n - 1) continue;
      const v = (u + j) % n;
      let w: number;
      do w = rng.int(n);
      while (w === u || edges.has(pairKey(n, u, w)));
      edges.delete(pairKey(n, u, v));
      edges.add(pairKey(n, u, w));
      degree[v] = (degree[v] as number) - 1;
      degree[w] = (degree[w] as number) + 1;
    }
  }
  return csrFromKeys(n, edges);
}

/**
 * Barabási–Albert preferential attachment: starts from a clique of m+1 nodes, then every new
 * node links to m distinct existing nodes chosen with probability proportional to degree.
 * Edges: m(m+1)/2 + (n-m-1)·m ≈ n·m; connected; degrees heavy-tailed (P(d) ∝ d⁻³).
 */
export function barabasiAlbert(n: number, m: number, rng: Rng): CsrTopology {
  requireInteger('scale-free: n', n, 1);
  requireInteger('scale-free: m', m, 1);
  if (n <= m) throw new TopologyError(`scale-free: n must be greater than m = ${m}, got n = ${n}`);
  const edgeTotal = (m * (m + 1)) / 2 + (n - m - 1) * m;
  // Each node appears once per edge end: sampling uniformly from this list is degree-proportional.
  const ends = new Int32Array(2 * edgeTotal);
  let endCount = 0;
  const edges = new EdgeBuffer();
  for (let a = 0; a <= m; a++) {
    for (let b = a + 1; b <= m; b++) {
      edges.push(a, b);
      ends[endCount++] = a;
      ends[endCount++] = b;
    }
  }
  const chosen = new Set<number>();
  for (let v = m + 1; v < n; v++) {
    chosen.clear();
    while (chosen.size < m) chosen.add(ends[rng.int(endCount)] as number);
    for (const t of chosen) {
      edges.push(v, t);
      ends[endCount++] = v;
      ends[endCount++] = t;
    }
  }
  return csrFromEdges(n, edges, false);
}
