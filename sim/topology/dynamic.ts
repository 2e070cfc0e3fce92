/**
 * Epidemic Learning's overlay (de Vos et al., 2023): every round a fresh random s-out graph.
 * In round r each node picks s distinct other nodes uniformly at random and sends its model to
 * them. The graph is directed: `neighbours(i)` / `degree(i)` are i's s OUT-neighbours only.
 * The receive side does not count toward `degree`; in-degrees vary (≈ Binomial(n-1, s/(n-1)),
 * mean s) — use `inDegrees` or `transpose` to see who receives from whom.
 */
import { Rng } from '../../node/learn/rng.ts';
import type { Seed } from '../../node/learn/rng.ts';
import { CsrTopology, TopologyError } from './graph.ts';

export interface DynamicTopology {
  readonly size: number;
  /** Out-degree of every node in every round. */
  readonly outDegree: number;
  /** The round's graph; identical for the same (seed, round), independent across rounds. */
  forRound(round: number): CsrTopology;
}

export function dynamicOut(n: number, s: number, seed: Seed): DynamicTopology {
  if (!Number.isSafeInteger(n) || n < 2) throw new TopologyError(`dynamic: n must be a whole number ≥ 2, got ${n}`);
  if (!Number.isSafeInteger(s) || s < 1 || s > n - 1) {
    throw new TopologyError(`dynamic: s must be a whole number in 1..${n - 1} (distinct others per node), got ${s}`);
  }
  const base = new Rng(seed);
  let cachedRound = -1;
  let cached: CsrTopology | undefined;
  return {
    size: n,
    outDegree: s,
    forRound(round: number): CsrTopology {
      if (!Number.isSafeInteger(round) || round < 0) throw new RangeError(`round must be a whole number ≥ 0, got ${round}`);
      if (round === cachedRound && cached !== undefined) return cached;
      const rng = base.fork(`dynamic-out/${round}`);
      const offsets = new Int32Array(n + 1);
      const targets = new Int32Array(n * s);
      const picked = new Set<number>();
      for (let i = 0; i < n; i++) {
        offsets[i] = i * s;
        // Floyd's algorithm: s distinct values from 0..n-2, then skip over i.
        picked.clear();
        for (let j = n - 1 - s; j < n - 1; j++) {
          const t = rng.int(j + 1);
          picked.add(picked.has(t) ? j : t);
        }
        let w = i * s;
        for (const x of picked) targets[w++] = x >= i ? x + 1 : x;
        targets.subarray(i * s, (i + 1) * s).sort();
      }
      offsets[n] = n * s;
      cached = new CsrTopology(n, offsets, targets, true);
      cachedRound = round;
      return cached;
    },
  };
}

/** In-degree of every node of a directed topology (how many nodes send to it). */
export function inDegrees(topology: CsrTopology): Int32Array {
  const counts = new Int32Array(topology.size);
  for (const t of topology.targets) counts[t] = (counts[t] as number) + 1;
  return counts;
}

/** The reversed directed graph: `transpose(g).neighbours(j)` are the nodes that send to j. */
export function transpose(topology: CsrTopology): CsrTopology {
  const n = topology.size;
  const counts = inDegrees(topology);
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) offsets[j + 1] = (offsets[j] as number) + (counts[j] as number);
  const cursor = offsets.slice(0, n);
  const targets = new Int32Array(topology.targets.length);
  // Sources are visited in ascending order, so every reversed row comes out sorted.
  for (let i = 0; i < n; i++) {
    for (const j of topology.neighbours(i)) {
      const at = cursor[j] as number;
      targets[at] = i;
      cursor[j] = at + 1;
    }
  }
  return new CsrTopology(n, offsets, targets, true);
}
