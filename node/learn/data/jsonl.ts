/**
 * JSONL (newline-delimited JSON) loader behind the data gate: one JSON object per line,
 * keys = column names; blank lines skipped but counted for line numbers; CRLF accepted.
 *
 * - Feature values: JSON numbers, or strings holding a decimal number (accepted because
 *   common exporters write them, e.g. BigQuery writes INT64 as strings); booleans, null,
 *   arrays and objects are rejected.
 * - Labels: strings, numbers or booleans, matched as strings (`1` and `"1"` are the same label).
 * - Columns: schema.featureColumns if given (other keys ignored); otherwise every key
 *   but the label, in the key order of the first object, and every later object must have
 *   exactly those keys.
 */
import type { Dataset } from './dataset.ts';
import type { DataSchema } from './schema.ts';
import {
  checkSchema,
  DataGateError,
  describeBadDecimal,
  finishReport,
  GateReport,
  LabelMap,
  parseDecimal,
  planColumns,
  ProblemLog,
  readText,
  RowSink,
  type GateOptions,
} from './table.ts';

const FLOAT32_MAX = 3.4028234663852886e38;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function jsonSyntaxHint(line: string, error: unknown): string {
  // V8 says e.g. `Unexpected token 'N', "{"x1": NaN, "... is not valid JSON` or `… at position 7 (line 1 column 8)`.
  const why = (error instanceof Error ? error.message : String(error))
    .replace(/, ".*? is not valid JSON$/s, '')
    .replace(/ \(line \d+ column (\d+)\)$/, ' (column $1)');
  const hint = /\b(NaN|-?Infinity)\b/.test(line) ? ' (NaN and Infinity are not valid JSON; features must be finite numbers)' : '';
  return `not valid JSON: ${why}${hint}`;
}

/** Why a JSON feature value is not acceptable, or undefined when it is (value stored in out[at]). */
function featureValue(value: unknown, out: Float32Array, at: number): string | undefined {
  if (typeof value === 'number') {
    // JSON.parse turns 1e400 into Infinity.
    if (value > FLOAT32_MAX || value < -FLOAT32_MAX || value !== value) return `value ${value} is outside the float32 range (±3.4e38)`;
    out[at] = value;
    return undefined;
  }
  if (typeof value === 'string') {
    const parsed = parseDecimal(value);
    if (parsed !== parsed) return describeBadDecimal(value);
    out[at] = parsed;
    return undefined;
  }
  if (value === undefined) return 'missing; every row needs every feature';
  return `value is ${typeName(value)}, expected a number`;
}

/**
 * Checks JSONL text against the schema, reporting every problem; the report carries the
 * Dataset when there is none. `source` names the data in messages (e.g. the path).
 */
export function checkJsonl(text: string, schema: DataSchema, source = 'jsonl', options: GateOptions = {}): GateReport {
  const log = new ProblemLog(options);
  if (!checkSchema(schema, log)) return new GateReport({ source, fileType: 'jsonl', rows: 0, validRows: 0, log, dataset: undefined });
  const labels = new LabelMap(schema.classes);
  const strictKeys = schema.featureColumns === undefined;
  let keys: ReadonlySet<string> = new Set();
  let names: readonly string[] = [];
  let sources: Int32Array = new Int32Array(0);
  let hasLabel = false;
  let sink: RowSink | undefined;
  let rows = 0;
  let line = 0;

  for (let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; pos < text.length; ) {
    line++;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const lineText = text.slice(pos, end);
    pos = end + 1;
    if (lineText.trim() === '') continue;
    rows++;

    let parsed: unknown;
    try {
      parsed = JSON.parse(lineText);
    } catch (error) {
      log.add('malformed-json', line, undefined, () => jsonSyntaxHint(lineText, error));
      continue;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      log.add('malformed-json', line, undefined, `expected a JSON object {"column": value, …}, found ${typeName(parsed)}`);
      continue;
    }
    const row = parsed as Record<string, unknown>;

    if (sink === undefined) {
      // The first object plays the part of a CSV header.
      const header = Object.keys(row);
      const plan = planColumns(header, schema, line, log);
      keys = new Set(header);
      names = plan.featureNames;
      sources = plan.featureSources;
      hasLabel = plan.labelSource >= 0;
      sink = new RowSink(names.length);
    }

    let ok = true;
    if (strictKeys) {
      const extra = Object.keys(row).filter((k) => !keys.has(k));
      if (extra.length > 0) {
        ok = false;
        log.add('field-count', line, undefined, () =>
          `unexpected key${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}${extra.length > 5 ? ', …' : ''} ` +
          'not in the first row; every row needs the same keys (or list the features in schema.featureColumns)');
      }
    }
    const base = sink.begin();
    const out = sink.features;
    for (let f = 0; f < names.length; f++) {
      if ((sources[f] as number) < 0) {
        ok = false;
        continue;
      }
      const name = names[f] as string;
      const why = featureValue(Object.hasOwn(row, name) ? row[name] : undefined, out, base + f);
      if (why !== undefined) {
        ok = false;
        log.add('bad-value', line, name, why);
      }
    }
    let label = -1;
    if (hasLabel) {
      const raw = Object.hasOwn(row, schema.labelColumn) ? row[schema.labelColumn] : undefined;
      if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
        const text = String(raw);
        label = labels.get(text);
        if (label < 0) log.add('unknown-label', line, schema.labelColumn, () => labels.unknown(text));
      } else {
        log.add('unknown-label', line, schema.labelColumn,
          raw === undefined ? 'label missing' : `label is ${typeName(raw)}, expected a string or a number`);
      }
    }
    if (ok && label >= 0) sink.commit(label);
  }

  if (sink === undefined && rows === 0) log.add('empty', undefined, undefined, 'the file is empty; JSONL needs one JSON object per line');
  return finishReport({ source, fileType: 'jsonl', schema, rows, sink, log });
}

/** Reads and gates a JSONL file; throws DataGateError listing every problem found. */
export async function loadJsonl(path: string, schema: DataSchema, options: GateOptions = {}): Promise<Dataset> {
  const report = checkJsonl(await readText(path, 'jsonl'), schema, path, options);
  if (report.dataset === undefined) throw new DataGateError(report);
  return report.dataset;
}
