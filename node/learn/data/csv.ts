/**
 * CSV loader behind the data gate. Our own RFC 4180-style parser (no dependency):
 * header row required, comma separator, double-quoted fields with "" escapes (quoted
 * fields may span lines), CRLF or LF, trailing newline optional, UTF-8 BOM ignored,
 * blank lines skipped but counted for line numbers (header = line 1).
 *
 * Header names and labels are trimmed; feature cells must be decimal numbers (spaces
 * around them are allowed). A quote inside an unquoted field is kept literally. A header of
 * one column is reported as such, naming the separator the file seems to use instead.
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
  scanDecimal,
  ProblemLog,
  readText,
  RowSink,
  type GateOptions,
} from './table.ts';

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const IGNORED = -1;
const LABEL = -2;

/** Splits text into records. `line` is the first physical line of the record last returned. */
class CsvReader {
  readonly #text: string;
  readonly #log: ProblemLog;
  #pos: number;
  #nextLine = 1;
  #quoteAt = -2;
  line = 0;
  start = 0;
  stop = 0;
  fields: string[] = [];

  constructor(text: string, log: ProblemLog) {
    this.#text = text;
    this.#log = log;
    this.#pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /**
   * Advances to the next record: 'simple' when it holds no quote (the caller scans
   * text[start, stop) itself, the fast path), 'fields' when it was parsed into `fields`.
   */
  next(): 'simple' | 'fields' | 'end' {
    const text = this.#text;
    const pos = this.#pos;
    if (pos >= text.length) return 'end';
    this.line = this.#nextLine;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const stop = end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    // The next quote in the text, found once and reused: -1 when there are no more.
    if (this.#quoteAt !== -1 && this.#quoteAt < pos) this.#quoteAt = text.indexOf('"', pos);
    const quote = this.#quoteAt;
    if (quote < 0 || quote >= stop) {
      this.start = pos;
      this.stop = stop;
      this.#pos = end + 1;
      this.#nextLine++;
      return 'simple';
    }
    this.fields = this.#quotedRecord();
    return 'fields';
  }

  /** Whether the simple record last returned is empty or only spaces/tabs. */
  blank(): boolean {
    if (this.start === this.stop) return true;
    const c = this.#text.charCodeAt(this.start);
    return (c === 32 || c === 9) && this.#text.slice(this.start, this.stop).trim() === '';
  }

  /** The simple record last returned, split into fields. */
  split(): string[] {
    return this.#text.slice(this.start, this.stop).split(',');
  }

  #countLines(from: number, to: number): void {
    const text = this.#text;
    for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) this.#nextLine++;
  }

  /** Character-level parse of a record holding quotes; may span lines. */
  #quotedRecord(): string[] {
    const text = this.#text;
    const len = text.length;
    const fields: string[] = [];
    let p = this.#pos;
    for (;;) {
      let value = '';
      if (text.charCodeAt(p) === QUOTE) {
        p++;
        for (;;) {
          const q = text.indexOf('"', p);
          if (q < 0) {
            value += text.slice(p);
            this.#countLines(p, len);
            p = len;
            this.#log.add('malformed-row', this.line, undefined, 'a quoted field opened here is never closed; close it with "');
            break;
          }
          value += text.slice(p, q);
          this.#countLines(p, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            p = q + 2;
          } else {
            p = q + 1;
            break;
          }
        }
        const stray = p;
        while (p < len) {
          const c = text.charCodeAt(p);
          if (c === COMMA || c === LF || (c === CR && (p + 1 === len || text.charCodeAt(p + 1) === LF))) break;
          p++;
        }
        if (p > stray) {
          const extra = text.slice(stray, p);
          value += extra;
          this.#log.add('malformed-row', this.line, undefined,
            () => `unexpected text ${JSON.stringify(extra.slice(0, 20))} after a closing quote; a quote inside a quoted field is written ""`);
        }
      } else {
        const start = p;
        while (p < len) {
          const c = text.charCodeAt(p);
          if (c === COMMA || c === LF || (c === CR && (p + 1 === len || text.charCodeAt(p + 1) === LF))) break;
          p++;
        }
        value = text.slice(start, p);
      }
      fields.push(value);
      const c = text.charCodeAt(p);
      if (c === COMMA) {
        p++;
        continue;
      }
      // End of record: LF, CRLF, a lone final CR, or end of text.
      if (c === CR) p++;
      if (text.charCodeAt(p) === LF) p++;
      this.#nextLine++;
      this.#pos = p;
      return fields;
    }
  }
}

const OTHER_SEPARATORS = [
  { char: ';', name: 'semicolons' },
  { char: '\t', name: 'tabs' },
  { char: '|', name: 'vertical bars' },
] as const;

/**
 * What is wrong with a header of one column: a task's data needs the label and at least one
 * feature. Usually the file is separated by something other than commas (a spreadsheet's
 * semicolons, a TSV's tabs), which makes the whole header one name: say so.
 */
function singleColumnHeader(name: string): string {
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name);
  const counted = OTHER_SEPARATORS.map((separator) => ({ ...separator, count: name.split(separator.char).length - 1 }));
  const likely = counted.reduce((best, next) => (next.count > best.count ? next : best));
  if (likely.count > 0) {
    return `the header is a single column ${shown}: the file looks separated by ${likely.name} (${JSON.stringify(likely.char)}), ` +
      'but gossipfl reads comma-separated files; save it with "," as the separator';
  }
  return `the header is a single column ${shown}: the data needs the label column and at least one feature column, separated by commas`;
}

/**
 * Checks CSV text against the schema, reporting every problem; the report carries the
 * Dataset when there is none. `source` names the data in messages (e.g. the path).
 */
export function checkCsv(text: string, schema: DataSchema, source = 'csv', options: GateOptions = {}): GateReport {
  const log = new ProblemLog(options);
  if (!checkSchema(schema, log)) return new GateReport({ source, fileType: 'csv', rows: 0, validRows: 0, log, dataset: undefined });
  const labels = new LabelMap(schema.classes);
  const reader = new CsvReader(text, log);
  let header: readonly string[] = [];
  let width = -1;
  /** Per header column: its feature index, LABEL, or IGNORED. */
  let roles: Int32Array = new Int32Array(0);
  let complete = false;
  let sink: RowSink | undefined;
  let rows = 0;
  const bad: number[] = [];

  const badValue = (line: number, column: number, cell: string): void => {
    log.add('bad-value', line, header[column], () => describeBadDecimal(cell));
  };
  const checkLabel = (line: number, raw: string): number => {
    const label = labels.get(raw);
    if (label < 0) log.add('unknown-label', line, schema.labelColumn, () => labels.unknown(raw));
    return label;
  };
  const wrongWidth = (line: number, found: number): void => {
    log.add('field-count', line, undefined, () =>
      `expected ${width} fields as in the header, found ${found}` +
      (found > width ? ' (an unquoted comma inside a value? put such values in double quotes)' : ''));
  };

  for (let kind = reader.next(); kind !== 'end'; kind = reader.next()) {
    const line = reader.line;
    if (kind === 'simple' && reader.blank()) continue;
    if (sink === undefined) {
      header = (kind === 'simple' ? reader.split() : reader.fields).map((name) => name.trim());
      if (header.length === 1) log.add('bad-header', line, undefined, singleColumnHeader(header[0] as string));
      const plan = planColumns(header, schema, line, log);
      width = header.length;
      roles = new Int32Array(width).fill(IGNORED);
      plan.featureSources.forEach((src, f) => {
        if (src >= 0) roles[src] = f;
      });
      if (plan.labelSource >= 0) roles[plan.labelSource] = LABEL;
      complete = header.length > 1 && plan.labelSource >= 0 && plan.featureSources.every((src) => src >= 0);
      sink = new RowSink(plan.featureNames.length);
      continue;
    }
    rows++;
    const base = sink.begin();
    const out = sink.features;
    let label = -1;
    let ok = complete;

    if (kind === 'simple') {
      // Fast path: scan the line's char codes, numbers go straight into the Float32Array.
      const stop = reader.stop;
      let labelStart = -1;
      let labelEnd = -1;
      let column = 0;
      bad.length = 0;
      for (let a = reader.start; ; column++) {
        let b = a;
        while (b < stop && text.charCodeAt(b) !== COMMA) b++;
        if (column < width) {
          const role = roles[column] as number;
          if (role >= 0) {
            const value = scanDecimal(text, a, b);
            if (value !== value) bad.push(column, a, b);
            else out[base + role] = value;
          } else if (role === LABEL) {
            labelStart = a;
            labelEnd = b;
          }
        }
        if (b >= stop) break;
        a = b + 1;
      }
      if (column + 1 !== width) {
        wrongWidth(line, column + 1);
        continue;
      }
      for (let k = 0; k < bad.length; k += 3) {
        ok = false;
        badValue(line, bad[k] as number, text.slice(bad[k + 1], bad[k + 2]));
      }
      if (labelStart >= 0) label = checkLabel(line, text.slice(labelStart, labelEnd));
    } else {
      const fields = reader.fields;
      if (fields.length !== width) {
        wrongWidth(line, fields.length);
        continue;
      }
      for (let column = 0; column < width; column++) {
        const role = roles[column] as number;
        const cell = fields[column] as string;
        if (role >= 0) {
          const value = parseDecimal(cell);
          if (value !== value) {
            ok = false;
            badValue(line, column, cell);
          } else {
            out[base + role] = value;
          }
        } else if (role === LABEL) {
          label = checkLabel(line, cell);
        }
      }
    }
    if (ok && label >= 0) sink.commit(label);
  }

  if (sink === undefined) log.add('empty', undefined, undefined, 'the file is empty; a CSV needs a header row naming its columns');
  return finishReport({ source, fileType: 'csv', schema, rows, sink, log });
}

/** Reads and gates a CSV file; throws DataGateError listing every problem found. */
export async function loadCsv(path: string, schema: DataSchema, options: GateOptions = {}): Promise<Dataset> {
  const report = checkCsv(await readText(path, 'csv'), schema, path, options);
  if (report.dataset === undefined) throw new DataGateError(report);
  return report.dataset;
}
