/**
 * The row model shared by the CSV and JSONL loaders: the problem list the data gate
 * reports, how header columns map onto the task's schema, strict number parsing, and a
 * growable sink that writes valid rows straight into the Dataset's typed arrays.
 *
 * Line numbers are 1-based physical lines of the file (CSV header = line 1 when the file
 * starts with it); blank lines are skipped but still counted.
 */
import { readFile } from 'node:fs/promises';
import { GossipflError } from '../../errors.ts';
import { makeDataset, type Dataset } from './dataset.ts';
import type { DataSchema } from './schema.ts';

export type TabularFormat = 'csv' | 'jsonl';

export type ProblemKind =
  | 'schema' // the task's schema itself is inconsistent
  | 'unreadable' // missing file, permissions, not UTF-8, unsupported file type
  | 'empty' // no header, or no data rows
  | 'bad-header' // duplicate or unnamed columns
  | 'missing-label-column'
  | 'missing-feature-column'
  | 'feature-count' // the file's feature columns do not number schema.featureCount
  | 'field-count' // a CSV row with a different number of fields than the header; unexpected JSONL keys
  | 'malformed-row' // CSV quoting errors
  | 'malformed-json' // a JSONL line that is not a JSON object
  | 'bad-value' // a feature value that is empty, non-numeric, NaN, infinite or out of float32 range
  | 'unknown-label' // a label missing, empty or not among schema.classes
  | 'too-few-rows'; // fewer than schema.minSamples valid rows

export const PROBLEM_KINDS: readonly ProblemKind[] = [
  'schema', 'unreadable', 'empty', 'bad-header', 'missing-label-column', 'missing-feature-column', 'feature-count',
  'field-count', 'malformed-row', 'malformed-json', 'bad-value', 'unknown-label', 'too-few-rows',
];

const KIND_NOUN: Record<ProblemKind, string> = {
  schema: 'schema problems',
  unreadable: 'read errors',
  empty: 'emptiness problems',
  'bad-header': 'header problems',
  'missing-label-column': 'missing label columns',
  'missing-feature-column': 'missing feature columns',
  'feature-count': 'feature-count problems',
  'field-count': 'rows with the wrong fields',
  'malformed-row': 'malformed rows',
  'malformed-json': 'malformed JSON lines',
  'bad-value': 'bad feature values',
  'unknown-label': 'bad labels',
  'too-few-rows': 'row-count problems',
};

export interface Problem {
  readonly kind: ProblemKind;
  /** 1-based line in the file. */
  readonly line?: number;
  readonly column?: string;
  /** What is wrong, without the location (see formatProblem). */
  readonly message: string;
}

export interface GateOptions {
  /** Problems listed per kind; the rest are only counted. Default 20. */
  readonly maxProblemsPerKind?: number;
}

export const DEFAULT_MAX_PROBLEMS_PER_KIND = 20;

/** Counts every problem; keeps the first few of each kind (messages are only built for those). */
export class ProblemLog {
  readonly #max: number;
  readonly listed: Problem[] = [];
  readonly counts: Record<ProblemKind, number> = Object.fromEntries(PROBLEM_KINDS.map((k) => [k, 0])) as Record<ProblemKind, number>;
  total = 0;

  constructor(options: GateOptions = {}) {
    const max = options.maxProblemsPerKind ?? DEFAULT_MAX_PROBLEMS_PER_KIND;
    if (!(max >= 0)) throw new RangeError(`maxProblemsPerKind must be >= 0, got ${max}`);
    this.#max = max;
  }

  add(kind: ProblemKind, line: number | undefined, column: string | undefined, message: string | (() => string)): void {
    const seen = this.counts[kind];
    this.counts[kind] = seen + 1;
    this.total++;
    if (seen >= this.#max) return;
    const text = typeof message === 'string' ? message : message();
    const problem: { kind: ProblemKind; line?: number; column?: string; message: string } = { kind, message: text };
    if (line !== undefined) problem.line = line;
    if (column !== undefined) problem.column = column;
    this.listed.push(problem);
  }
}

export function formatProblem(problem: Problem): string {
  const where: string[] = [];
  if (problem.line !== undefined) where.push(`line ${problem.line}`);
  if (problem.column !== undefined) where.push(`column ${JSON.stringify(problem.column)}`);
  return where.length > 0 ? `${where.join(', ')}: ${problem.message}` : problem.message;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** The outcome of checking one file against a DataSchema. `dataset` is set exactly when `ok`. */
export class GateReport {
  readonly source: string;
  readonly fileType: TabularFormat | undefined;
  readonly ok: boolean;
  /** Data rows seen (non-blank records after the header). */
  readonly rows: number;
  /** Rows with no problem. */
  readonly validRows: number;
  /** The first few problems of each kind, in the order found. */
  readonly problems: readonly Problem[];
  /** Every problem found, by kind, including those not listed. */
  readonly counts: Readonly<Record<ProblemKind, number>>;
  readonly problemCount: number;
  readonly dataset: Dataset | undefined;

  constructor(init: {
    source: string;
    fileType: TabularFormat | undefined;
    rows: number;
    validRows: number;
    log: ProblemLog;
    dataset: Dataset | undefined;
  }) {
    this.source = init.source;
    this.fileType = init.fileType;
    this.rows = init.rows;
    this.validRows = init.validRows;
    this.problems = init.log.listed;
    this.counts = init.log.counts;
    this.problemCount = init.log.total;
    this.ok = init.log.total === 0 && init.dataset !== undefined;
    this.dataset = this.ok ? init.dataset : undefined;
  }

  /** A human-readable summary: every kind found, the listed problems, "…and N more" per kind. */
  format(): string {
    if (this.ok) return `${this.source}: ${fmt(this.validRows)} rows, all valid`;
    const head = `${this.source}: ${fmt(this.problemCount)} problem${this.problemCount === 1 ? '' : 's'} found` +
      (this.rows > 0 ? ` in ${fmt(this.rows)} data rows (${fmt(this.validRows)} valid)` : '');
    // Listed problems in the order found (header first, then by line), then what was left unlisted.
    const lines = [head, ...this.problems.map((p) => `  ${formatProblem(p)}`)];
    for (const kind of PROBLEM_KINDS) {
      const count = this.counts[kind];
      const listed = this.problems.reduce((n, p) => n + (p.kind === kind ? 1 : 0), 0);
      if (count > listed) lines.push(`  …and ${fmt(count - listed)} more ${KIND_NOUN[kind]} (${fmt(count)} in all)`);
    }
    if (this.problemCount > this.counts.unreadable) {
      lines.push('Fix the data, or the task schema (labelColumn, featureColumns, featureCount, classes, minSamples), and try again.');
    }
    return lines.join('\n');
  }
}

/** Local data failed the gate. `problems` and `counts` are the report's; the message lists them. */
export class DataGateError extends GossipflError {
  override name = 'DataGateError';
  readonly report: GateReport;
  readonly source: string;
  readonly problems: readonly Problem[];
  readonly counts: Readonly<Record<ProblemKind, number>>;

  constructor(report: GateReport) {
    super(report.format());
    this.report = report;
    this.source = report.source;
    this.problems = report.problems;
    this.counts = report.counts;
  }
}

/** A report holding one problem that stopped the check before any row was read. */
export function failedReport(source: string, fileType: TabularFormat | undefined, kind: ProblemKind, message: string): GateReport {
  const log = new ProblemLog();
  log.add(kind, undefined, undefined, message);
  return new GateReport({ source, fileType, rows: 0, validRows: 0, log, dataset: undefined });
}

/** Reads a UTF-8 text file; every failure becomes a DataGateError saying what to do. */
export async function readText(path: string, fileType: TabularFormat | undefined): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found; check the path (relative paths start from the current directory)'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied; make the file readable by this user'
      : code === 'EISDIR' ? 'is a directory, not a data file'
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    throw new DataGateError(failedReport(path, fileType, 'unreadable', why));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    const why = error instanceof TypeError && /decode|encoded/i.test(error.message)
      ? 'is not valid UTF-8 text; re-save it as UTF-8'
      : `cannot be decoded (${fmt(bytes.length)} bytes; ${error instanceof Error ? error.message : String(error)}); split it into smaller files`;
    throw new DataGateError(failedReport(path, fileType, 'unreadable', why));
  }
}

const DECIMAL = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;
const FLOAT32_MAX = 3.4028234663852886e38;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The decimal number in text[from, to), or NaN. Accepts exactly what
 * /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$/ matches: no hex, "NaN", "Infinity" or
 * empty cells; NaN too when the value is outside the float32 range.
 *
 * Hot path of the loaders, so it reads char codes without slicing. Up to 15 significant
 * digits and a decimal exponent within ±22 it computes mantissa × or ÷ 10^k from exact
 * doubles, which rounds correctly (Clinger's fast path) and so equals Number(text);
 * anything else falls back to Number() on the slice.
 */
export function scanDecimal(text: string, from: number, to: number): number {
  let i = from;
  let end = to;
  let c = 0;
  while (i < end && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  while (end > i && ((c = text.charCodeAt(end - 1)) === 32 || c === 9)) end--;
  if (i === end) return Number.NaN;
  c = text.charCodeAt(i);
  const negative = c === 45;
  if (negative || c === 43) i++;
  let mantissa = 0;
  let significant = 0;
  let scale = 0;
  let digits = 0;
  let exact = true;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    digits++;
    if (mantissa === 0 && d === 0) continue;
    if (significant < 15) {
      mantissa = mantissa * 10 + d;
      significant++;
    } else {
      scale++;
      if (d !== 0) exact = false;
    }
  }
  if (i < end && text.charCodeAt(i) === 46) {
    for (i++; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      digits++;
      if (mantissa === 0 && d === 0) {
        scale--;
      } else if (significant < 15) {
        mantissa = mantissa * 10 + d;
        significant++;
        scale--;
      } else if (d !== 0) {
        exact = false;
      }
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < end && (text.charCodeAt(i) | 32) === 101) {
    i++;
    let exponentNegative = false;
    c = text.charCodeAt(i);
    if (c === 45 || c === 43) {
      exponentNegative = c === 45;
      i++;
    }
    let exponent = 0;
    let exponentDigits = 0;
    for (; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (exponent < 1e6) exponent = exponent * 10 + d;
      exponentDigits++;
    }
    if (exponentDigits === 0) return Number.NaN;
    scale += exponentNegative ? -exponent : exponent;
  }
  if (i !== end) return Number.NaN;
  let value: number;
  if (mantissa === 0) value = negative ? -0 : 0;
  else if (!exact || scale < -22 || scale > 22) return inFloat32Range(+text.slice(from, to));
  else if (scale === 0) value = negative ? -mantissa : mantissa;
  else if (scale < 0) value = (negative ? -mantissa : mantissa) / (POW10[-scale] as number);
  else value = (negative ? -mantissa : mantissa) * (POW10[scale] as number);
  return inFloat32Range(value);
}

function inFloat32Range(value: number): number {
  if (value > FLOAT32_MAX || value < -FLOAT32_MAX) return Number.isFinite(Math.fround(value)) ? value : Number.NaN;
  return value;
}

/** scanDecimal over a whole string. */
export function parseDecimal(text: string): number {
  return scanDecimal(text, 0, text.length);
}

const quote = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** Why parseDecimal rejected a cell. */
export function describeBadDecimal(text: string): string {
  const t = text.trim();
  if (t === '') return 'empty feature value; every feature needs a number';
  if (/^[+-]?nan$/i.test(t)) return `value ${quote(text)} is NaN; features must be finite numbers`;
  if (/^[+-]?inf(inity)?$/i.test(t)) return `value ${quote(text)} is infinite; features must be finite numbers`;
  if (DECIMAL.test(text)) return `value ${quote(text)} is outside the float32 range (±3.4e38)`;
  return `value ${quote(text)} is not a number`;
}

/** Label strings → class indices, plus the message for an unknown label. */
export class LabelMap {
  readonly #index = new Map<string, number>();
  readonly #allowed: string;

  constructor(classes: readonly string[]) {
    classes.forEach((name, i) => {
      if (!this.#index.has(name)) this.#index.set(name, i);
    });
    const shown = classes.slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
    this.#allowed = classes.length <= 10 ? `allowed: ${shown}` : `allowed: ${classes.length} classes, e.g. ${shown}, …`;
  }

  /** Class index of a label (matched after trimming), or -1. */
  get(label: string): number {
    return this.#index.get(label) ?? this.#index.get(label.trim()) ?? -1;
  }

  unknown(label: string): string {
    return label.trim() === '' ? `empty label; ${this.#allowed}` : `unknown label ${quote(label)}; ${this.#allowed}`;
  }
}

/** Reports schema inconsistencies; returns false when rows cannot be checked at all. */
export function checkSchema(schema: DataSchema, log: ProblemLog): boolean {
  let usable = true;
  if (!Number.isInteger(schema.featureCount) || schema.featureCount < 1) {
    log.add('schema', undefined, undefined, `schema.featureCount must be a positive integer, got ${schema.featureCount}`);
    usable = false;
  }
  if (schema.classes.length === 0) {
    log.add('schema', undefined, undefined, 'schema.classes is empty; list the label values in class-index order');
    usable = false;
  }
  const dupes = schema.classes.filter((c, i) => schema.classes.indexOf(c) !== i);
  if (dupes.length > 0) log.add('schema', undefined, undefined, `schema.classes repeats ${[...new Set(dupes)].map(quote).join(', ')}`);
  if (!Number.isInteger(schema.minSamples) || schema.minSamples < 0) {
    log.add('schema', undefined, undefined, `schema.minSamples must be a non-negative integer, got ${schema.minSamples}`);
  }
  const cols = schema.featureColumns;
  if (cols !== undefined) {
    if (cols.length !== schema.featureCount) {
      log.add('schema', undefined, undefined, `schema.featureColumns names ${cols.length} columns but schema.featureCount is ${schema.featureCount}`);
    }
    if (cols.includes(schema.labelColumn)) {
      log.add('schema', undefined, undefined, `schema.featureColumns includes the label column ${quote(schema.labelColumn)}`);
    }
  }
  return usable;
}

/** How a file's columns map onto the schema. Sources index the header; -1 means absent. */
export interface ColumnPlan {
  /** Feature names in model-input order. */
  readonly featureNames: readonly string[];
  readonly featureSources: Int32Array;
  readonly labelSource: number;
}

/** Matches header names against the schema, reporting every header-level problem. */
export function planColumns(header: readonly string[], schema: DataSchema, line: number, log: ProblemLog): ColumnPlan {
  const position = new Map<string, number>();
  const seenTwice = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') {
      log.add('bad-header', line, undefined, `column ${i + 1} has no name` +
        (i === 0 ? ' (an index column? with pandas, write the file with index=False)' : ''));
    }
    if (position.has(name)) seenTwice.add(name);
    else position.set(name, i);
  });
  for (const name of seenTwice) log.add('bad-header', line, name, 'column name appears more than once');

  const labelSource = position.get(schema.labelColumn) ?? -1;
  if (labelSource < 0) {
    log.add('missing-label-column', line, schema.labelColumn,
      `no label column ${quote(schema.labelColumn)}; columns found: ${header.slice(0, 12).map(quote).join(', ')}${header.length > 12 ? ', …' : ''}`);
  }

  // Without featureColumns the features are "every column but the label": with no label
  // column that is unknowable, so values are not checked until the header is fixed.
  const featureNames = schema.featureColumns ?? (labelSource < 0 ? [] : header.filter((name, i) => i !== labelSource && name !== schema.labelColumn));
  const featureSources = new Int32Array(featureNames.length);
  featureNames.forEach((name, f) => {
    const src = position.get(name);
    featureSources[f] = src ?? -1;
    if (src === undefined) log.add('missing-feature-column', line, name, 'feature column named in the schema is missing');
  });
  // With no label column every column would count as a feature: that count would only mislead.
  if (schema.featureColumns === undefined && labelSource >= 0 && featureNames.length !== schema.featureCount) {
    log.add('feature-count', line, undefined,
      `found ${featureNames.length} feature columns (every column except ${quote(schema.labelColumn)}) but the schema expects ${schema.featureCount}; ` +
      'drop the extra columns or list the features in schema.featureColumns');
  }
  return { featureNames, featureSources, labelSource };
}

/** Accumulates rows straight into typed arrays, growing by doubling. */
export class RowSink {
  readonly featureCount: number;
  features: Float32Array;
  labels: Int32Array;
  rows = 0;

  constructor(featureCount: number, expectedRows = 1024) {
    this.featureCount = featureCount;
    const capacity = Math.max(16, expectedRows);
    this.features = new Float32Array(capacity * featureCount);
    this.labels = new Int32Array(capacity);
  }

  /** Offset in `features` where the next row's values go (the row is kept only on commit). */
  begin(): number {
    if (this.rows === this.labels.length) {
      const capacity = this.labels.length * 2;
      const features = new Float32Array(capacity * this.featureCount);
      features.set(this.features);
      const labels = new Int32Array(capacity);
      labels.set(this.labels);
      this.features = features;
      this.labels = labels;
    }
    return this.rows * this.featureCount;
  }

  commit(label: number): void {
    this.labels[this.rows++] = label;
  }

  toDataset(name: string, classCount: number): Dataset {
    return makeDataset({
      name,
      size: this.rows,
      featureCount: this.featureCount,
      classCount,
      features: this.features.slice(0, this.rows * this.featureCount),
      labels: this.labels.slice(0, this.rows),
    });
  }
}

/** The checks after the last row: emptiness and minSamples; builds the report. */
export function finishReport(init: {
  source: string;
  fileType: TabularFormat;
  schema: DataSchema;
  rows: number;
  sink: RowSink | undefined;
  log: ProblemLog;
}): GateReport {
  const { source, fileType, schema, rows, sink, log } = init;
  const validRows = sink?.rows ?? 0;
  if (rows === 0) {
    if (log.counts.empty === 0) log.add('empty', undefined, undefined, 'no data rows');
  } else if (validRows < schema.minSamples && log.counts['missing-label-column'] + log.counts['missing-feature-column'] === 0) {
    // (A missing column already invalidates every row: saying so again per row count is noise.)
    log.add('too-few-rows', undefined, undefined,
      `${fmt(validRows)} valid row${validRows === 1 ? '' : 's'}, fewer than the ${fmt(schema.minSamples)} the task requires (schema.minSamples)`);
  }
  const dataset = log.total === 0 && sink !== undefined ? sink.toDataset(source, schema.classes.length) : undefined;
  return new GateReport({ source, fileType, rows, validRows, log, dataset });
}
