import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkJsonl, loadJsonl } from '../../node/learn/data/jsonl.ts';
import type { DataSchema } from '../../node/learn/data/schema.ts';
import { DataGateError, type Problem } from '../../node/learn/data/table.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url));

const schema: DataSchema = { featureCount: 3, classes: ['cat', 'dog', 'bird'], labelColumn: 'species', minSamples: 2 };
const where = (p: Problem): string => `${p.kind}@${p.line ?? '-'}:${p.column ?? '-'}`;

describe('JSONL loader', () => {
  it('loads a good file: numbers and numeric strings, any key order, blank lines skipped', async () => {
    const data = await loadJsonl(fixture('good.jsonl'), schema);
    expect(data.size).toBe(3);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4.5, -0.5, 6, 7, 8, 9]);
    expect(Array.from(data.labels)).toEqual([0, 1, 2]);
  });

  it('reads CRLF .ndjson', async () => {
    const data = await loadJsonl(fixture('crlf.ndjson'), schema);
    expect(Array.from(data.labels)).toEqual([0, 1]);
    expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('matches number labels as strings against the classes', async () => {
    const data = await loadJsonl(fixture('labels-numeric.jsonl'), { featureCount: 2, classes: ['0', '1'], labelColumn: 'digit', minSamples: 3 });
    expect(Array.from(data.labels)).toEqual([0, 1, 1]);
    expect(Array.from(data.features)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
  });

  it('reports every problem of a bad file with line and column', async () => {
    const error = await loadJsonl(fixture('bad.jsonl'), schema).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataGateError);
    const gate = error as DataGateError;
    expect(gate.problems.map(where)).toEqual([
      'malformed-json@2:-',
      'malformed-json@3:-',
      'malformed-json@4:-',
      'bad-value@5:x2',
      'bad-value@5:x3',
      'bad-value@6:x2',
      'unknown-label@7:species',
      'unknown-label@8:species',
      'field-count@9:-',
      'too-few-rows@-:-',
    ]);
    const message = (line: number, column?: string): string | undefined =>
      gate.problems.find((p) => p.line === line && (column === undefined || p.column === column))?.message;
    expect(message(3)).toMatch(/expected a JSON object .* found an array/);
    expect(message(4)).toMatch(/NaN and Infinity are not valid JSON/);
    expect(message(5, 'x2')).toBe('value is a boolean, expected a number');
    expect(message(5, 'x3')).toBe('value "abc" is not a number');
    expect(message(6)).toMatch(/missing/);
    expect(message(7)).toMatch(/unknown label "horse"/);
    expect(message(8)).toBe('label missing');
    expect(message(9)).toMatch(/unexpected key "x4"/);
    expect(gate.report.rows).toBe(9);
    expect(gate.report.validRows).toBe(1);
  });

  it('with featureColumns, ignores extra keys and reports a missing one by name', () => {
    const s: DataSchema = { ...schema, featureColumns: ['x3', 'x1', 'x2'], minSamples: 1 };
    const good = checkJsonl('{"x1":1,"x2":2,"x3":3,"species":"dog","id":"r1"}\n', s);
    expect(good.ok).toBe(true);
    expect(Array.from(good.dataset?.features ?? [])).toEqual([3, 1, 2]);
    const bad = checkJsonl('{"x1":1,"x3":3,"species":"dog"}\n', s);
    expect(bad.problems.map(where)).toEqual(['missing-feature-column@1:x2']);
  });

  it('rejects values outside the float32 range and null labels', () => {
    const report = checkJsonl('{"x1":1e39,"x2":2,"x3":3,"species":null}\n', { ...schema, minSamples: 0 });
    expect(report.problems.map(where)).toEqual(['bad-value@1:x1', 'unknown-label@1:species']);
    expect(report.problems[0]?.message).toMatch(/float32 range/);
    expect(report.problems[1]?.message).toBe('label is null, expected a string or a number');
  });

  it('refuses an empty file', () => {
    const report = checkJsonl('\n\n', schema, 'empty.jsonl');
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(['empty']);
  });
});
