/**
 * Field-by-field validation that collects every problem (with its field path) instead of
 * stopping at the first, plus the text front end shared by manifests and signed envelopes:
 * YAML 1.2 (a superset of JSON) via the `yaml` package, with line numbers on syntax errors.
 */
import { isPair, isSeq, LineCounter, parseDocument, visit, type Document, type Scalar } from 'yaml';

/** Largest manifest or envelope text accepted, in UTF-8 bytes. */
export const MAX_TASK_TEXT_BYTES = 1024 * 1024;

/** A mapping read from YAML/JSON. */
export type Mapping = Readonly<Record<string, unknown>>;

export class Problems {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(path === '' ? message : `${path}: ${message}`);
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * A short rendering of a value for "got …" in messages. YAML's typed values (`!!binary`,
 * `!!timestamp`, `!!set`, `!!omap`) are named as what they are, not as mappings.
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return `binary data (!!binary, ${value.byteLength} bytes)`;
  if (value instanceof Date) return `a timestamp (${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (value instanceof Set) return 'a set (!!set)';
  if (value instanceof Map) return 'an ordered mapping (!!omap)';
  if (typeof value === 'object') return isMapping(value) ? 'a mapping' : `a ${value.constructor?.name ?? 'non-plain'} object`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** A plain mapping (YAML map / JSON object); not a list, binary data, a timestamp, a set or an omap. */
export function isMapping(value: unknown): value is Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The closest known name to a misspelt one, if any is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Reports every key of `value` not in `known`, with a suggestion when one is close. */
export function checkKnownKeys(value: Mapping, known: readonly string[], path: string, problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = suggest(key, known);
    problems.add(path, `unknown field ${JSON.stringify(key)}${guess === undefined ? ` (known fields: ${known.join(', ')})` : ` (did you mean ${JSON.stringify(guess)}?)`}`);
  }
}

/** The mapping at `path`, or undefined (with a problem) when it is missing or not a mapping. */
export function mappingField(parent: Mapping, key: string, path: string, problems: Problems, required: boolean): Mapping | undefined {
  const value = parent[key];
  const at = join(path, key);
  if (value === undefined || value === null) {
    if (required) problems.add(at, 'is required');
    return undefined;
  }
  if (!isMapping(value)) {
    problems.add(at, `must be a mapping of fields, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export interface NumberRule {
  readonly integer?: boolean;
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** What the value must be, for the message, e.g. "a whole number ≥ 1". */
  readonly expected: string;
}

/** Whole numbers beyond this magnitude cannot all be held exactly by a JavaScript number. */
export const LARGEST_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

function fitsRule(value: number, rule: NumberRule): boolean {
  if (!Number.isFinite(value)) return false;
  if (rule.integer === true && !Number.isSafeInteger(value)) return false;
  if (rule.min !== undefined && value < rule.min) return false;
  if (rule.above !== undefined && !(value > rule.above)) return false;
  if (rule.max !== undefined && value > rule.max) return false;
  return true;
}

/** A number field: its value, `fallback` when absent, or undefined with a problem. */
export function numberField(parent: Mapping, key: string, path: string, problems: Problems, rule: NumberRule, fallback?: number): number | undefined {
  const value = parent[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) problems.add(join(path, key), 'is required');
    return fallback;
  }
  if (typeof value !== 'number' || !fitsRule(value, rule)) {
    const inexact = rule.integer === true && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
    const got = inexact ? `a number too large to be read exactly (${LARGEST_EXACT_INTEGER} is the largest whole number allowed)` : describe(value);
    problems.add(join(path, key), `must be ${rule.expected}, got ${got}`);
    return undefined;
  }
  return value;
}

/** An optional number field without a default. */
export function optionalNumber(parent: Mapping, key: string, path: string, problems: Problems, rule: NumberRule): number | undefined {
  if (parent[key] === undefined || parent[key] === null) return undefined;
  return numberField(parent, key, path, problems, rule);
}

/** A string field that must be one of `choices`. */
export function choiceField<T extends string>(parent: Mapping, key: string, path: string, problems: Problems, choices: readonly T[], fallback?: T): T | undefined {
  const value = parent[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) problems.add(join(path, key), `is required (one of ${choices.join(', ')})`);
    return fallback;
  }
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    problems.add(join(path, key), `must be one of ${choices.join(', ')}, got ${describe(value)}`);
    return undefined;
  }
  return value as T;
}

/** A non-empty string field. */
export function stringField(parent: Mapping, key: string, path: string, problems: Problems, required: boolean): string | undefined {
  const value = parent[key];
  if (value === undefined || value === null) {
    if (required) problems.add(join(path, key), 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(join(path, key), `must be a non-empty string, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** The field path (`model.seed`, `data.classes[2]`) of a node, from the ancestors `visit` gives. */
function fieldPath(ancestors: readonly unknown[], node: unknown): string {
  let path = '';
  ancestors.forEach((ancestor, index) => {
    const child = ancestors[index + 1] ?? node;
    if (isPair(ancestor) && ancestor.value === child) path = join(path, String((ancestor.key as Scalar | null)?.value ?? ancestor.key));
    else if (isSeq(ancestor)) path = join(path, ancestor.items.indexOf(child as never));
  });
  return path;
}

/** Whether a YAML/JSON decimal literal (`12.50`, `1.5e3`, `-.5`) denotes a whole number, exactly. */
function denotesWholeNumber(literal: string): boolean {
  const match = /^[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(literal.replaceAll('_', ''));
  if (match === null) return true; // .inf, .nan, other notations: not a decimal, nothing to say
  const digits = `${match[1] ?? ''}${match[2] ?? ''}`;
  const point = (match[1] ?? '').length + Number(match[3] ?? 0);
  return /^0*$/.test(digits.slice(Math.max(point, 0)));
}

/**
 * Integer literals are read as BigInt (`intAsBigInt`), so nothing is rounded before it is seen:
 * those a number holds exactly become numbers, the others are reported with their line, column
 * and field path (a seed of 2^53 + 1 must not silently become 2^53). So is a decimal that is not
 * whole but reads as a whole number (9007199254740990.9 as 9007199254740991), which an integer
 * field could not tell from one written whole.
 */
function exactIntegers(document: Document, lineCounter: LineCounter): string[] {
  const problems: string[] = [];
  const largest = BigInt(LARGEST_EXACT_INTEGER);
  visit(document, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value === 'number' && Number.isInteger(node.value) && node.source !== undefined && !denotesWholeNumber(node.source)) {
        const where = lineCounter.linePos(node.range?.[0] ?? 0);
        const path = fieldPath(ancestors, node);
        problems.push(
          `line ${where.line}, column ${where.col}: ${path === '' ? '' : `${path}: `}${node.source} is not a whole number but would be read as ` +
            `the whole number ${node.value}; write it with fewer digits`,
        );
        return;
      }
      if (typeof node.value !== 'bigint') return;
      if (node.value >= -largest && node.value <= largest) {
        node.value = Number(node.value);
        return;
      }
      const where = lineCounter.linePos(node.range?.[0] ?? 0);
      const path = fieldPath(ancestors, node);
      problems.push(
        `line ${where.line}, column ${where.col}: ${path === '' ? '' : `${path}: `}the whole number ${node.value} cannot be read exactly; ` +
          `whole numbers must lie between -${LARGEST_EXACT_INTEGER} and ${LARGEST_EXACT_INTEGER} (2^53 - 1)`,
      );
    },
  });
  return problems;
}

/** Deepest nesting of flow collections (`[…]`, `{…}`) read; a task needs a handful. */
export const MAX_FLOW_NESTING = 64;

/**
 * The deepest nesting of flow collections in YAML/JSON text, outside quoted strings and comments
 * (a conservative count: brackets inside plain scalars count too). Deeply nested flow
 * collections take the YAML parser into a regular expression that V8 cannot compile, which
 * ends the whole process (2,000 bytes of `[[[…]]]` did): such text is refused before parsing.
 */
function flowNesting(text: string): { readonly depth: number; readonly at: number } {
  let depth = 0;
  let deepest = { depth: 0, at: 0 };
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '[' || c === '{') {
      depth++;
      if (depth > deepest.depth) deepest = { depth, at: i };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return deepest;
}

/**
 * Parses YAML or JSON text into plain data. Returns the problems (with line and column) when
 * the text is not well-formed; duplicate keys count as errors, and so do integers too large to
 * be read exactly, and flow collections nested deeper than MAX_FLOW_NESTING.
 */
export function parseText(text: string, what: string): { readonly value: unknown } | { readonly problems: readonly string[] } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TASK_TEXT_BYTES) {
    return { problems: [`the ${what} is ${bytes} bytes; the limit is ${MAX_TASK_TEXT_BYTES} bytes`] };
  }
  const nesting = flowNesting(text);
  if (nesting.depth > MAX_FLOW_NESTING) {
    const line = text.slice(0, nesting.at).split('\n').length;
    return { problems: [`line ${line}: the ${what} nests [ ] / { } collections ${nesting.depth} deep; at most ${MAX_FLOW_NESTING} are read`] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter, intAsBigInt: true });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => {
        const where = lineCounter.linePos(error.pos[0]);
        const firstLine = error.message.split('\n')[0] ?? error.message;
        return `line ${where.line}, column ${where.col}: syntax error: ${firstLine}`;
      }),
    };
  }
  const inexact = exactIntegers(document, lineCounter);
  if (inexact.length > 0) return { problems: inexact };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { problems: [`cannot read the ${what}: ${(error as Error).message}`] };
  }
  if (value === null || value === undefined) return { problems: [`the ${what} is empty`] };
  return { value };
}
