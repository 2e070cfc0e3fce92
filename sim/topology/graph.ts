/**
 * The overlay graph the simulator routes over: who can talk to whom. Sparse graphs are stored
 * in CSR form (one `Int32Array` of offsets, one of sorted neighbour ids), so 10,000+ peers cost
 * O(N + E) memory; the complete graph is implicit (no N² edges are ever materialised).
 */
import { GossipflError } from '../../node/errors.ts';
import type { Rng } from '../../node/learn/rng.ts';

/** Neighbour ids of one node, ascending. Views into shared storage: never mutate them. */
export type NeighbourList = Int32Array | readonly number[];

export interface Topology {
  /** Number of nodes; ids are 0 … size-1. */
  readonly size: number;
  /**
   * False: every edge is symmetric (`has(i, j) === has(j, i)`). True: edges are out-edges
   * (`neighbours(i)` are the nodes i sends to), see `dynamicOut`.
   */
  readonly directed: boolean;
  /** Undirected edges (each counted once), or arcs when directed. */
  readonly edgeCount: number;
  /** Neighbours (out-neighbours when directed) of `i`, ascending, without `i`. */
  neighbours(i: number): NeighbourList;
  /** Degree (out-degree when directed) of `i`. */
  degree(i: number): number;
  /** Whether the edge i→j exists (never true for i === j). */
  has(i: number, j: number): boolean;
  /** A uniformly random neighbour of `i`, or undefined when `i` has none. */
  randomNeighbour(i: number, rng: Rng): number | undefined;
}

/** A topology that cannot be built or read as asked (bad parameters, malformed edge list …). */
export class TopologyError extends GossipflError {
  override name = 'TopologyError';
}

function checkNode(size: number, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`node id ${i} is out of range 0..${size - 1}`);
}

/** Compressed sparse rows: neighbours of i are targets[offsets[i] .. offsets[i+1]), ascending. */
export class CsrTopology implements Topology {
  readonly size: number;
  readonly directed: boolean;
  readonly edgeCount: number;
  readonly offsets: Int32Array;
  readonly targets: Int32Array;

  /** Prefer `csrFromEdges`; this trusts its input (sorted, simple, symmetric when undirected). */
  constructor(size: number, offsets: Int32Array, targets: Int32Array, directed: boolean) {
    this.size = size;
    this.offsets = offsets;
    this.targets = targets;
    this.directed = directed;
    this.edgeCount = directed ? targets.length : targets.length / 2;
  }

  neighbours(i: number): Int32Array {
    checkNode(this.size, i);
    return this.targets.subarray(this.offsets[i] as number, this.offsets[i + 1] as number);
  }

  degree(i: number): number {
    checkNode(this.size, i);
    return (this.offsets[i + 1] as number) - (this.offsets[i] as number);
  }

  has(i: number, j: number): boolean {
    checkNode(this.size, i);
    checkNode(this.size, j);
    let low = this.offsets[i] as number;
    let high = (this.offsets[i + 1] as number) - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const value = this.targets[mid] as number;
      if (value === j) return true;
      if (value < j) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  randomNeighbour(i: number, rng: Rng): number | undefined {
    const d = this.degree(i);
    if (d === 0) return undefined;
    return this.targets[(this.offsets[i] as number) + rng.int(d)];
  }
}

/** The complete graph on `size` nodes, implicit: O(1) memory. `neighbours(i)` allocates n-1 ids. */
export class CompleteTopology implements Topology {
  readonly size: number;
  readonly directed = false;
  readonly edgeCount: number;

  constructor(size: number) {
    this.size = size;
    this.edgeCount = (size * (size - 1)) / 2;
  }

  neighbours(i: number): readonly number[] {
    checkNode(this.size, i);
    const out: number[] = [];
    for (let j = 0; j < this.size; j++) if (j !== i) out.push(j);
    return out;
  }

  degree(i: number): number {
    checkNode(this.size, i);
    return this.size - 1;
  }

  has(i: number, j: number): boolean {
    checkNode(this.size, i);
    checkNode(this.size, j);
    return i !== j;
  }

  randomNeighbour(i: number, rng: Rng): number | undefined {
    checkNode(this.size, i);
    if (this.size < 2) return undefined;
    const j = rng.int(this.size - 1);
    return j >= i ? j + 1 : j;
  }
}

/** A growable list of (from, to) pairs backed by typed arrays. */
export class EdgeBuffer {
  #from = new Int32Array(64);
  #to = new Int32Array(64);
  length = 0;

  push(from: number, to: number): void {
    if (this.length === this.#from.length) {
      const from2 = new Int32Array(this.length * 2);
      const to2 = new Int32Array(this.length * 2);
      from2.set(this.#from);
      to2.set(this.#to);
      this.#from = from2;
      this.#to = to2;
    }
    this.#from[this.length] = from;
    this.#to[this.length] = to;
    this.length++;
  }

  from(k: number): number {
    return this.#from[k] as number;
  }

  to(k: number): number {
    return this.#to[k] as number;
  }
}

/**
 * Builds CSR from edges. Undirected: each pair is stored both ways. Self-loops are rejected;
 * duplicate edges are merged (so `a b` and `b a` in an edge list are one edge).
 */
export function csrFromEdges(size: number, edges: EdgeBuffer, directed: boolean): CsrTopology {
  for (let k = 0; k < edges.length; k++) {
    const u = edges.from(k);
    const v = edges.to(k);
    checkNode(size, u);
    checkNode(size, v);
    if (u === v) throw new TopologyError(`self-loop at node ${u}: a node cannot be its own neighbour`);
  }
  const offsets = new Int32Array(size + 1);
  for (let k = 0; k < edges.length; k++) offsets[edges.from(k) + 1] = (offsets[edges.from(k) + 1] as number) + 1;
  if (!directed) for (let k = 0; k < edges.length; k++) offsets[edges.to(k) + 1] = (offsets[edges.to(k) + 1] as number) + 1;
  for (let i = 0; i < size; i++) offsets[i + 1] = (offsets[i + 1] as number) + (offsets[i] as number);
  const targets = new Int32Array(offsets[size] as number);
  const cursor = offsets.slice(0, size);
  const place = (u: number, v: number): void => {
    const at = cursor[u] as number;
    targets[at] = v;
    cursor[u] = at + 1;
  };
  for (let k = 0; k < edges.length; k++) {
    place(edges.from(k), edges.to(k));
    if (!directed) place(edges.to(k), edges.from(k));
  }
  // Sort each row and drop duplicates, compacting in place.
  const compact = new Int32Array(size + 1);
  let write = 0;
  for (let i = 0; i < size; i++) {
    const start = offsets[i] as number;
    const end = offsets[i + 1] as number;
    targets.subarray(start, end).sort();
    compact[i] = write;
    let previous = -1;
    for (let p = start; p < end; p++) {
      const v = targets[p] as number;
      if (v === previous) continue;
      targets[write++] = v;
      previous = v;
    }
  }
  compact[size] = write;
  return new CsrTopology(size, compact, write === targets.length ? targets : targets.slice(0, write), directed);
}
