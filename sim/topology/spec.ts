/**
 * The `topology:` part of a scenario, as a discriminated union, and the one place that turns a
 * spec into an overlay for N peers.
 *
 *   topology: { kind: complete }
 *   topology: { kind: ring, k: 2 }                 # k neighbours on each side (default 1)
 *   topology: { kind: random-regular, k: 7 }
 *   topology: { kind: small-world, k: 3, beta: 0.1 }
 *   topology: { kind: scale-free, m: 3 }
 *   topology: { kind: edge-list, path: overlay.txt }
 *   topology: { kind: dynamic, s: 7 }              # fresh s-out graph every round
 *
 * A bare string (`topology: complete`, `topology: ring`) is shorthand for `{ kind: … }`.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../node/learn/rng.ts';
import type { Seed } from '../../node/learn/rng.ts';
import { Problems, checkKnownKeys, describe, isMapping, join, numberField, stringField, suggest } from '../../node/task/fields.ts';
import type { Mapping } from '../../node/task/fields.ts';
import { dynamicOut } from './dynamic.ts';
import { fromEdgeList } from './edge-list.ts';
import { barabasiAlbert, complete, randomRegular, ring, wattsStrogatz } from './generators.ts';
import { TopologyError } from './graph.ts';
import type { Topology } from './graph.ts';

export type TopologySpec =
  | { readonly kind: 'complete' }
  | { readonly kind: 'ring'; readonly k: number }
  | { readonly kind: 'random-regular'; readonly k: number }
  | { readonly kind: 'small-world'; readonly k: number; readonly beta: number }
  | { readonly kind: 'scale-free'; readonly m: number }
  | { readonly kind: 'edge-list'; readonly path: string }
  | { readonly kind: 'dynamic'; readonly s: number };

export type TopologyKind = TopologySpec['kind'];

export const TOPOLOGY_KINDS: readonly TopologyKind[] = ['complete', 'ring', 'random-regular', 'small-world', 'scale-free', 'edge-list', 'dynamic'];

const WHOLE_AT_LEAST_1 = { integer: true, min: 1, expected: 'a whole number ≥ 1' } as const;

/**
 * Validates a spec read from YAML/JSON. Throws a `TopologyError` listing every problem with its
 * field path (`path` is the spec's own path, e.g. `topology` or `scenarios[2].topology`).
 */
export function parseTopologySpec(value: unknown, source: string, path = 'topology'): TopologySpec {
  const problems = new Problems();
  const spec = parseInto(typeof value === 'string' ? { kind: value } : value, path, problems);
  if (problems.list.length > 0 || spec === undefined) {
    throw new TopologyError(`${source}: invalid topology:\n${problems.list.map((p) => `  - ${p}`).join('\n')}`);
  }
  return spec;
}

function parseInto(value: unknown, path: string, problems: Problems): TopologySpec | undefined {
  if (!isMapping(value)) {
    problems.add(path, `must be a mapping with a "kind" (one of ${TOPOLOGY_KINDS.join(', ')}), got ${describe(value)}`);
    return undefined;
  }
  const kind = value['kind'];
  if (typeof kind !== 'string' || !(TOPOLOGY_KINDS as readonly string[]).includes(kind)) {
    const guess = typeof kind === 'string' ? suggest(kind, TOPOLOGY_KINDS) : undefined;
    problems.add(
      join(path, 'kind'),
      kind === undefined || kind === null
        ? `is required (one of ${TOPOLOGY_KINDS.join(', ')})`
        : `must be one of ${TOPOLOGY_KINDS.join(', ')}, got ${describe(kind)}${guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`}`,
    );
    return undefined;
  }
  return parseKind(kind as TopologyKind, value, path, problems);
}

function parseKind(kind: TopologyKind, value: Mapping, path: string, problems: Problems): TopologySpec | undefined {
  switch (kind) {
    case 'complete':
      checkKnownKeys(value, ['kind'], path, problems);
      return { kind };
    case 'ring': {
      checkKnownKeys(value, ['kind', 'k'], path, problems);
      const k = numberField(value, 'k', path, problems, WHOLE_AT_LEAST_1, 1);
      return k === undefined ? undefined : { kind, k };
    }
    case 'random-regular': {
      checkKnownKeys(value, ['kind', 'k'], path, problems);
      const k = numberField(value, 'k', path, problems, WHOLE_AT_LEAST_1);
      return k === undefined ? undefined : { kind, k };
    }
    case 'small-world': {
      checkKnownKeys(value, ['kind', 'k', 'beta'], path, problems);
      const k = numberField(value, 'k', path, problems, WHOLE_AT_LEAST_1);
      const beta = numberField(value, 'beta', path, problems, { min: 0, max: 1, expected: 'a probability in [0, 1]' });
      return k === undefined || beta === undefined ? undefined : { kind, k, beta };
    }
    case 'scale-free': {
      checkKnownKeys(value, ['kind', 'm'], path, problems);
      const m = numberField(value, 'm', path, problems, WHOLE_AT_LEAST_1);
      return m === undefined ? undefined : { kind, m };
    }
    case 'edge-list': {
      checkKnownKeys(value, ['kind', 'path'], path, problems);
      const file = stringField(value, 'path', path, problems, true);
      return file === undefined ? undefined : { kind, path: file };
    }
    case 'dynamic': {
      checkKnownKeys(value, ['kind', 's'], path, problems);
      const s = numberField(value, 's', path, problems, WHOLE_AT_LEAST_1);
      return s === undefined ? undefined : { kind, s };
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** The overlay for a whole run: the same graph every round, or a fresh one (`dynamic`). */
export interface Overlay {
  readonly spec: TopologySpec;
  readonly size: number;
  /** True when `forRound` returns a different graph each round. */
  readonly dynamic: boolean;
  forRound(round: number): Topology;
}

export interface BuildOptions {
  /** Reads an edge-list file (default: `readFileSync(path, 'utf8')`, path relative to the cwd). */
  readonly readText?: (path: string) => string;
}

function staticOverlay(spec: TopologySpec, topology: Topology): Overlay {
  return { spec, size: topology.size, dynamic: false, forRound: () => topology };
}

/**
 * Builds the overlay for `n` peers, deterministic given `seed` (each kind draws from its own
 * fork of `new Rng(seed)`). Throws a `TopologyError` when the spec does not fit n.
 */
export function buildTopology(spec: TopologySpec, n: number, seed: Seed, options: BuildOptions = {}): Overlay {
  const rng = (): Rng => new Rng(seed).fork(`topology/${spec.kind}`);
  switch (spec.kind) {
    case 'complete':
      return staticOverlay(spec, complete(n));
    case 'ring':
      return staticOverlay(spec, ring(n, spec.k));
    case 'random-regular':
      return staticOverlay(spec, randomRegular(n, spec.k, rng()));
    case 'small-world':
      return staticOverlay(spec, wattsStrogatz(n, spec.k, spec.beta, rng()));
    case 'scale-free':
      return staticOverlay(spec, barabasiAlbert(n, spec.m, rng()));
    case 'edge-list': {
      const read = options.readText ?? ((file: string) => readFileSync(file, 'utf8'));
      let text: string;
      try {
        text = read(spec.path);
      } catch (error) {
        throw new TopologyError(`cannot read the edge-list file ${spec.path}: ${error instanceof Error ? error.message : String(error)}`);
      }
      return staticOverlay(spec, fromEdgeList(text, spec.path, { size: n }));
    }
    case 'dynamic': {
      const schedule = dynamicOut(n, spec.s, new Rng(seed).fork('topology/dynamic').nextUint32());
      return { spec, size: n, dynamic: true, forRound: (round) => schedule.forRound(round) };
    }
    default: {
      const unreachable: never = spec;
      throw new TopologyError(`unknown topology kind in ${JSON.stringify(unreachable)}`);
    }
  }
}
