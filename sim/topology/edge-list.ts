/**
 * Reads an undirected overlay from an edge-list text: one edge per line, `a b` or `a,b`
 * (whitespace and/or one comma between), 0-based node ids, `#` starts a comment, blank lines
 * are skipped. Duplicate edges (including `a b` then `b a`) are merged; self-loops are errors.
 */
import { EdgeBuffer, TopologyError, csrFromEdges } from './graph.ts';
import type { CsrTopology } from './graph.ts';

export interface EdgeListOptions {
  /** Number of nodes. When given, ids must be < size; otherwise size = largest id + 1. */
  readonly size?: number;
}

/** Every problem is listed; beyond this many, the rest are counted. */
const MAX_LISTED = 20;

const ID = /^\d+$/;

/**
 * Parses `text` (named `source` in messages, e.g. a file path). Throws a `TopologyError` that
 * lists every malformed line as `source:line: problem`.
 */
export function fromEdgeList(text: string, source: string, options: EdgeListOptions = {}): CsrTopology {
  const size = options.size;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 1)) {
    throw new TopologyError(`${source}: the node count must be a whole number ≥ 1, got ${size}`);
  }
  const problems: string[] = [];
  const edges = new EdgeBuffer();
  let largest = -1;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] as string;
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') continue;
    const at = `${source}:${index + 1}`;
    const fields = line.split(/\s*,\s*|\s+/);
    if (fields.length !== 2 || !fields.every((f) => ID.test(f))) {
      problems.push(`${at}: expected an edge as two node ids "a b" or "a,b" (0-based whole numbers), got ${JSON.stringify(line)}`);
      continue;
    }
    const a = Number(fields[0]);
    const b = Number(fields[1]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a > 0x7fffffff || b > 0x7fffffff) {
      problems.push(`${at}: node id too large in ${JSON.stringify(line)}`);
      continue;
    }
    if (a === b) {
      problems.push(`${at}: self-loop ${a}–${b}: a node cannot be its own neighbour; remove the line`);
      continue;
    }
    if (size !== undefined && (a >= size || b >= size)) {
      problems.push(`${at}: node id ${Math.max(a, b)} is out of range: with ${size} nodes ids are 0..${size - 1}`);
      continue;
    }
    largest = Math.max(largest, a, b);
    edges.push(a, b);
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `  - ${p}`);
    if (problems.length > MAX_LISTED) listed.push(`  - … and ${problems.length - MAX_LISTED} more`);
    throw new TopologyError(`${source}: ${problems.length} malformed edge-list line${problems.length === 1 ? '' : 's'}:\n${listed.join('\n')}`);
  }
  if (size === undefined && edges.length === 0) {
    throw new TopologyError(`${source}: the edge list has no edges (expected lines like "0 1")`);
  }
  return csrFromEdges(size ?? largest + 1, edges, false);
}
