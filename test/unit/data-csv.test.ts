import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaFromOptions } from '../../node/cli/data-command.ts';
import { checkCsv, loadCsv } from '../../node/learn/data/csv.ts';
import type { DataSchema } from '../../node/learn/data/schema.ts';
import { DataGateError, type Problem } from '../../node/learn/data/table.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url));

const schema: DataSchema = { featureCount: 3, classes: ['cat', 'dog', 'bird'], labelColumn: 'species', minSamples: 2 };

/** Loads a fixture expecting the gate to refuse it; returns the error. */
async function refused(name: string, s: DataSchema = schema): Promise<DataGateError> {
  const error = await loadCsv(fixture(name), s).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataGateError);
  return error as DataGateError;
}

const where = (p: Problem): string => `${p.kind}@${p.line ?? '-'}:${p.column ?? '-'}`;

describe('CSV loader', () => {
  it('loads a good file: values, labels, blank lines skipped, spaces around numbers, no trailing newline', async () => {
    const data = await loadCsv(fixture('good.csv'), schema);
    expect(data.name).toBe(fixture('good.csv'));
    expect(data.size).toBe(4);
    expect(data.featureCount).toBe(3);
    expect(data.classCount).toBe(3);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4.5, -0.5, 6, 7, 8, 9, 0.25, 0, 100]);
    expect(Array.from(data.labels)).toEqual([0, 1, 2, 0]);
  });

  it('reads CRLF line endings', async () => {
    expect(readFileSync(fixture('crlf.csv'), 'latin1')).toContain('\r\n');
    const data = await loadCsv(fixture('crlf.csv'), schema);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(data.labels)).toEqual([0, 1, 2]);
  });

  it('reads quoted fields: commas, "" escapes, line breaks, quoted numbers; featureColumns pick and order columns', async () => {
    const quoted: DataSchema = {
      featureCount: 3,
      classes: ['cat', 'bird, small', 'the "dog"'],
      labelColumn: 'species',
      featureColumns: ['x1', 'x2', 'x3'],
      minSamples: 1,
    };
    const data = await loadCsv(fixture('quoted.csv'), quoted);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(data.labels)).toEqual([0, 1, 2]);
  });

  it('counts lines inside multi-line quoted fields when reporting later rows', () => {
    const text = 'note,x1,x2,x3,species\n"a\nb\nc",1,2,3,cat\nok,1,2,oops,cat\n';
    const report = checkCsv(text, { ...schema, featureColumns: ['x1', 'x2', 'x3'], minSamples: 1 }, 'mem.csv');
    expect(report.problems.map(where)).toEqual(['bad-value@5:x3']);
  });

  it('names the missing feature column', async () => {
    const error = await refused('missing-column.csv', { ...schema, featureColumns: ['x1', 'x2', 'x3'] });
    expect(error.problems.map(where)).toEqual(['missing-feature-column@1:x2']);
    expect(error.message).toContain('column "x2"');
  });

  it('without featureColumns, a missing column shows up as a feature-count mismatch', async () => {
    const error = await refused('missing-column.csv');
    expect(error.problems.map(where)).toEqual(['feature-count@1:-']);
    expect(error.problems[0]?.message).toMatch(/found 2 feature columns .* expects 3/);
  });

  it('names the missing label column and lists the columns found', async () => {
    const error = await refused('missing-label.csv');
    expect(error.problems.map(where)).toEqual(['missing-label-column@1:species']);
    expect(error.message).toContain('"kind"');
  });

  it('reports a NaN cell with its line and column', async () => {
    const error = await refused('nan.csv');
    expect(error.problems.map(where)).toEqual(['bad-value@3:x2']);
    expect(error.problems[0]?.message).toMatch(/NaN/);
    expect(error.message).toContain('line 3, column "x2"');
  });

  it('reports a non-numeric cell with its line, column and value', async () => {
    const error = await refused('non-numeric.csv');
    expect(error.problems.map(where)).toEqual(['bad-value@3:x2']);
    expect(error.problems[0]?.message).toBe('value "five" is not a number');
  });

  it('reports a row with the wrong number of fields', async () => {
    const error = await refused('field-count.csv');
    expect(error.problems.map(where)).toEqual(['field-count@3:-']);
    expect(error.problems[0]?.message).toBe('expected 4 fields as in the header, found 3');
  });

  it('reports an unknown label with its value and the allowed classes', async () => {
    const error = await refused('unknown-label.csv');
    expect(error.problems.map(where)).toEqual(['unknown-label@4:species']);
    expect(error.problems[0]?.message).toBe('unknown label "horse"; allowed: "cat", "dog", "bird"');
  });

  it('reports every problem of a file with several, with blank lines still counted', async () => {
    const error = await refused('many-problems.csv');
    expect(error.problems.map(where)).toEqual([
      'bad-value@3:x2',
      'field-count@5:-',
      'bad-value@6:x2',
      'bad-value@7:x3',
      'unknown-label@7:species',
    ]);
    expect(error.counts['bad-value']).toBe(3);
    expect(error.report.rows).toBe(6);
    expect(error.report.validRows).toBe(2);
    expect(error.problems[2]?.message).toMatch(/empty feature value/);
    expect(error.problems[3]?.message).toMatch(/infinite/);
    expect(error.message).toMatch(/^.*many-problems\.csv: 5 problems found in 6 data rows \(2 valid\)/);
  });

  it('reports an unterminated quote', async () => {
    const error = await refused('unterminated.csv');
    expect(error.problems.some((p) => p.kind === 'malformed-row' && p.line === 2 && /never closed/.test(p.message))).toBe(true);
  });

  it('reports stray text after a closing quote', () => {
    const report = checkCsv('x1,x2,x3,species\n"1"x,2,3,cat\n', { ...schema, minSamples: 0 });
    expect(report.problems.map(where)).toContain('malformed-row@2:-');
    expect(report.problems.map(where)).toContain('bad-value@2:x1');
  });

  it('refuses an empty file and a header with no rows', async () => {
    expect((await refused('empty.csv')).problems.map((p) => p.kind)).toEqual(['empty']);
    expect((await refused('header-only.csv')).problems.map((p) => p.message)).toEqual(['no data rows']);
  });

  it('refuses fewer valid rows than minSamples', () => {
    const report = checkCsv('x1,x2,x3,species\n1,2,3,cat\n', schema, 'small.csv');
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(['too-few-rows']);
    expect(report.problems[0]?.message).toMatch(/1 valid row, fewer than the 2/);
  });

  it('reports duplicate and unnamed header columns, with a pandas hint for an unnamed first column', () => {
    const report = checkCsv(',x1,x2,x2,species\n0,1,2,3,cat\n', { ...schema, featureColumns: ['x1', 'x2', 'x2b'], minSamples: 0 });
    const kinds = report.problems.map(where);
    expect(kinds).toContain('bad-header@1:-');
    expect(kinds).toContain('bad-header@1:x2');
    expect(kinds).toContain('missing-feature-column@1:x2b');
    expect(report.problems[0]?.message).toMatch(/index=False/);
  });

  it('strips a UTF-8 byte-order mark from the header', () => {
    const report = checkCsv('\uFEFFx1,x2,x3,species\n1,2,3,cat\n4,5,6,dog\n', schema);
    expect(report.ok).toBe(true);
    expect(report.dataset?.size).toBe(2);
  });

  it('says a one-column header is the problem, naming the separator the file seems to use', () => {
    const semicolons = checkCsv('x1;x2;x3;species\n1;2;3;cat\n', schema);
    expect(semicolons.problems.map(where)).toEqual(['bad-header@1:-', 'missing-label-column@1:species']);
    expect(semicolons.problems[0]?.message).toBe(
      'the header is a single column "x1;x2;x3;species": the file looks separated by semicolons (";"), but gossipfl reads comma-separated files; save it with "," as the separator',
    );
    expect(checkCsv('x1\tx2\tx3\tspecies\n1\t2\t3\tcat\n', schema).problems[0]?.message).toMatch(/separated by tabs \("\\t"\)/);
    const labelOnly = checkCsv('species\ncat\ndog\n', schema);
    expect(labelOnly.problems[0]).toMatchObject({ kind: 'bad-header', line: 1 });
    expect(labelOnly.problems[0]?.message).toMatch(/single column "species": the data needs the label column and at least one feature column/);
    expect(labelOnly.validRows).toBe(0);
  });

  it('data check without --features: a one-column file gets its header blamed, not a schema derived from it', async () => {
    // The file's header has one column: "every column but the label" would be 0 features.
    const derived = await schemaFromOptions({ label: 'species', classes: 'cat,dog' }, async () => 1);
    expect(derived.featureCount).toBe(1);
    const report = checkCsv('x1;x2;species\n1;2;cat\n', derived);
    expect(report.counts.schema).toBe(0);
    expect(report.problems[0]?.message).toMatch(/^the header is a single column "x1;x2;species": the file looks separated by semicolons/);
    // A file with columns still gets every column but the label.
    expect((await schemaFromOptions({ label: 'species', classes: 'cat,dog' }, async () => 4)).featureCount).toBe(3);
  });
});
