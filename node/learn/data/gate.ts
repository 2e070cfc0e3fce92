/**
 * The data gate: local data is checked against the task's DataSchema before any training,
 * and every problem found is reported with its line and column (the first few of each
 * kind are listed, all are counted). This module is the entry point; the format-specific
 * parsers live in csv.ts and jsonl.ts.
 *
 *   const report = await checkTabularFile('data/train.csv', schema); // never throws for bad data
 *   const dataset = await loadTabular('data/train.csv', schema);     // throws DataGateError
 */
import { extname } from 'node:path';
import type { Dataset } from './dataset.ts';
import type { DataSchema } from './schema.ts';
import { checkCsv } from './csv.ts';
import { checkJsonl } from './jsonl.ts';
import { DataGateError, failedReport, readText, type GateOptions, type GateReport, type TabularFormat } from './table.ts';

export { checkCsv, loadCsv } from './csv.ts';
export { checkJsonl, loadJsonl } from './jsonl.ts';
export {
  DataGateError,
  DEFAULT_MAX_PROBLEMS_PER_KIND,
  formatProblem,
  GateReport,
  PROBLEM_KINDS,
  type GateOptions,
  type Problem,
  type ProblemKind,
  type TabularFormat,
} from './table.ts';

const EXTENSIONS: Readonly<Record<string, TabularFormat>> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The format a path's extension names (case-insensitive), or undefined. */
export function formatOf(path: string): TabularFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/** Checks text in the given format. */
export function checkTabular(text: string, format: TabularFormat, schema: DataSchema, source: string, options: GateOptions = {}): GateReport {
  switch (format) {
    case 'csv':
      return checkCsv(text, schema, source, options);
    case 'jsonl':
      return checkJsonl(text, schema, source, options);
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown tabular format ${String(unknown)}`);
    }
  }
}

/**
 * Checks a .csv, .jsonl or .ndjson file. Bad data, a missing or unreadable file and an
 * unsupported extension all come back as a report with ok = false; nothing is thrown for them.
 */
export async function checkTabularFile(path: string, schema: DataSchema, options: GateOptions = {}): Promise<GateReport> {
  const format = formatOf(path);
  if (format === undefined) {
    const ext = extname(path);
    return failedReport(path, undefined, 'unreadable',
      `unsupported file type ${ext === '' ? '(no extension)' : JSON.stringify(ext)}; use .csv, .jsonl or .ndjson`);
  }
  let text: string;
  try {
    text = await readText(path, format);
  } catch (error) {
    if (error instanceof DataGateError) return error.report;
    throw error;
  }
  return checkTabular(text, format, schema, path, options);
}

/** Loads a .csv, .jsonl or .ndjson file through the gate; throws DataGateError listing every problem. */
export async function loadTabular(path: string, schema: DataSchema, options: GateOptions = {}): Promise<Dataset> {
  const report = await checkTabularFile(path, schema, options);
  if (report.dataset === undefined) throw new DataGateError(report);
  return report.dataset;
}
