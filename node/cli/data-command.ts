/**
 * `gossipfl data check FILE`: runs the data gate on a CSV or JSONL file against a schema
 * and reports every problem, before any training would start.
 */
import { readFile } from 'node:fs/promises';
import { checkTabularFile } from '../learn/data/gate.ts';
import type { DataSchema } from '../learn/data/schema.ts';
import { CliError, USAGE_EXIT_CODE, parseNumberOption, parseOptions, type Command } from './command.ts';

const HELP = [
  'Usage: gossipfl data check FILE (--schema SCHEMA.json | --label COLUMN --classes A,B,…) [options]',
  '',
  'Checks a CSV (header row) or JSONL (one object per line) file against a data schema:',
  'columns present, feature count, every value numeric and finite, every label known, enough',
  'rows. Every problem is reported with its line and column. Exit code 0 when the file passes,',
  '1 when it does not.',
  '',
  'Options:',
  '  --schema FILE          a JSON data schema: {"featureCount", "classes", "labelColumn",',
  '                         "featureColumns"?, "minSamples"}',
  '  --label COLUMN         the label column (instead of --schema)',
  '  --classes A,B,…        the allowed labels, in class order',
  '  --features N           how many feature columns (default: every column but the label)',
  '  --feature-columns C,…  the feature columns, in model-input order',
  '  --min-samples N        fewest valid rows accepted (default 1)',
  '  --json                 print the report as JSON',
].join('\n');

function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

function isSchema(value: unknown): value is DataSchema {
  if (typeof value !== 'object' || value === null) return false;
  const schema = value as Record<string, unknown>;
  return (
    typeof schema['featureCount'] === 'number' &&
    Array.isArray(schema['classes']) &&
    schema['classes'].every((c) => typeof c === 'string') &&
    typeof schema['labelColumn'] === 'string' &&
    typeof schema['minSamples'] === 'number' &&
    (schema['featureColumns'] === undefined || (Array.isArray(schema['featureColumns']) && schema['featureColumns'].every((c) => typeof c === 'string')))
  );
}

async function readSchemaFile(path: string): Promise<DataSchema> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`data check: cannot read the schema ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!isSchema(parsed)) {
    throw new CliError(`data check: ${path} is not a data schema: it needs featureCount (number), classes (strings), labelColumn (string), minSamples (number) and optionally featureColumns (strings)`);
  }
  return parsed;
}

export async function schemaFromOptions(values: Record<string, string | boolean | undefined>, headerColumns: () => Promise<number>): Promise<DataSchema> {
  const label = values['label'];
  const classes = values['classes'];
  if (typeof label !== 'string' || typeof classes !== 'string') {
    throw new CliError('data check: give --schema FILE, or both --label and --classes (see gossipfl data check --help)', USAGE_EXIT_CODE);
  }
  const featureColumns = typeof values['feature-columns'] === 'string' ? splitList(values['feature-columns']) : undefined;
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  const features = parseNumberOption('data check', 'features', values['features'] as string | undefined, positive, 'a whole number ≥ 1');
  const minSamples = parseNumberOption('data check', 'min-samples', values['min-samples'] as string | undefined, positive, 'a whole number ≥ 1') ?? 1;
  // Without --features, every column but the label. A header of fewer than two columns gets a
  // count of 1, so the gate reports what is wrong with the file (one column, often a separator
  // other than commas) instead of blaming a schema derived from it ("featureCount … got 0").
  const featureCount = features ?? featureColumns?.length ?? Math.max(1, (await headerColumns()) - 1);
  return { labelColumn: label, classes: splitList(classes), featureCount, minSamples, ...(featureColumns ? { featureColumns } : {}) };
}

/** Columns in the file's header (CSV) or first object (JSONL), to default the feature count. */
async function countColumns(path: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return 0; // the gate reports the unreadable file itself
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    try {
      return Object.keys(JSON.parse(firstLine) as object).length;
    } catch {
      return 0;
    }
  }
  return firstLine.split(',').length;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'check a CSV or JSONL file against a data schema',
  help: HELP,
  async run(args) {
    const [action, ...rest] = args;
    if (action !== 'check') throw new CliError(`data: unknown action "${action ?? ''}"; the action is "check"\n\n${HELP}`, USAGE_EXIT_CODE);
    const { values, positionals } = parseOptions(
      'data check',
      rest,
      {
        schema: { type: 'string' }, label: { type: 'string' }, classes: { type: 'string' }, features: { type: 'string' },
        'feature-columns': { type: 'string' }, 'min-samples': { type: 'string' }, json: { type: 'boolean' },
      },
      true,
    );
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new CliError('data check: give exactly one FILE to check (see gossipfl data check --help)', USAGE_EXIT_CODE);
    const schema = values.schema !== undefined ? await readSchemaFile(values.schema) : await schemaFromOptions(values, () => countColumns(file));
    const report = await checkTabularFile(file, schema);
    if (values.json) {
      const { source, ok, rows, validRows, problems, counts, problemCount } = report;
      process.stdout.write(`${JSON.stringify({ source, ok, rows, validRows, problemCount, counts, problems }, null, 2)}\n`);
    } else {
      process.stdout.write(`${report.format()}\n`);
    }
    return report.ok ? 0 : 1;
  },
};
