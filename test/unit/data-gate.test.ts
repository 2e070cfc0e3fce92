import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkTabular,
  checkTabularFile,
  DataGateError,
  DEFAULT_MAX_PROBLEMS_PER_KIND,
  formatOf,
  loadTabular,
} from '../../node/learn/data/gate.ts';
import type { DataSchema } from '../../node/learn/data/schema.ts';
import { parseDecimal } from '../../node/learn/data/table.ts';
import { Rng } from '../../node/learn/rng.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url));
const schema: DataSchema = { featureCount: 3, classes: ['cat', 'dog', 'bird'], labelColumn: 'species', minSamples: 2 };

async function gateError(promise: Promise<unknown>): Promise<DataGateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataGateError);
  return error as DataGateError;
}

describe('data gate entry point', () => {
  it('dispatches on the extension, case-insensitively', async () => {
    expect(formatOf('a/b.CSV')).toBe('csv');
    expect(formatOf('b.jsonl')).toBe('jsonl');
    expect(formatOf('b.ndjson')).toBe('jsonl');
    expect(formatOf('b.json')).toBeUndefined();
    const csv = await loadTabular(fixture('good.csv'), schema);
    const jsonl = await loadTabular(fixture('good.jsonl'), schema);
    expect(csv.size).toBe(4);
    expect(jsonl.size).toBe(3);
    expect(Array.from(jsonl.features)).toEqual(Array.from(csv.features.subarray(0, 9)));
  });

  it('turns a missing file into a DataGateError with a clear message, not ENOENT', async () => {
    const path = fixture('no-such-file.csv');
    const error = await gateError(loadTabular(path, schema));
    expect(error.name).toBe('DataGateError');
    expect(error.problems.map((p) => p.kind)).toEqual(['unreadable']);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/file not found; check the path/);
    expect(error.message).not.toMatch(/ENOENT/);
  });

  it('refuses a directory, an unsupported extension and a file that is not UTF-8', async () => {
    const dir = await gateError(loadTabular(fixture('folder.csv'), schema));
    expect(dir.problems.map((p) => p.kind)).toEqual(['unreadable']);
    expect(dir.message).toMatch(/is a directory, not a data file/);
    const bare = await gateError(loadTabular(fixture('README'), schema));
    expect(bare.message).toMatch(/unsupported file type \(no extension\)/);
    const txt = await gateError(loadTabular(fixture('data.txt'), schema));
    expect(txt.message).toMatch(/unsupported file type "\.txt"; use \.csv, \.jsonl or \.ndjson/);
    const latin1 = await gateError(loadTabular(fixture('latin1.csv'), schema));
    expect(latin1.message).toMatch(/not valid UTF-8/);
  });

  it('checkTabularFile reports instead of throwing', async () => {
    const missing = await checkTabularFile(fixture('nope.jsonl'), schema);
    expect(missing.ok).toBe(false);
    expect(missing.fileType).toBe('jsonl');
    const bad = await checkTabularFile(fixture('nan.csv'), schema);
    expect(bad.ok).toBe(false);
    expect(bad.dataset).toBeUndefined();
    const good = await checkTabularFile(fixture('good.csv'), schema);
    expect(good.ok).toBe(true);
    expect(good.format()).toMatch(/4 rows, all valid/);
  });

  it('lists at most 20 problems per kind but counts them all, with an "…and N more" line', () => {
    const rows = ['x1,x2,x3,species'];
    for (let i = 0; i < 5000; i++) rows.push(i % 2 === 0 ? `${i},oops,1,cat` : `${i},2,3,wolf`);
    const report = checkTabular(rows.join('\n'), 'csv', schema, 'big.csv');
    expect(report.problemCount).toBe(5001);
    expect(report.counts['too-few-rows']).toBe(1);
    expect(report.counts['bad-value']).toBe(2500);
    expect(report.counts['unknown-label']).toBe(2500);
    expect(report.problems).toHaveLength(2 * DEFAULT_MAX_PROBLEMS_PER_KIND + 1);
    const text = report.format();
    expect(text).toContain('…and 2,480 more bad feature values (2,500 in all)');
    expect(text).toContain('…and 2,480 more bad labels (2,500 in all)');
    expect(text.split('\n').length).toBeLessThan(50);
    const one = checkTabular(rows.join('\n'), 'csv', schema, 'big.csv', { maxProblemsPerKind: 1 });
    expect(one.problems).toHaveLength(3);
    expect(one.problemCount).toBe(5001);
  });

  it('reports an inconsistent schema', () => {
    const report = checkTabular('a,b\n1,x\n', 'csv', { featureCount: 2, classes: ['x', 'x'], labelColumn: 'b', featureColumns: ['a', 'b'], minSamples: -1 }, 's.csv');
    const messages = report.problems.filter((p) => p.kind === 'schema').map((p) => p.message);
    expect(messages).toEqual([
      'schema.classes repeats "x"',
      'schema.minSamples must be a non-negative integer, got -1',
      'schema.featureColumns includes the label column "b"',
    ]);
    const unusable = checkTabular('a,b\n1,x\n', 'jsonl', { featureCount: 0, classes: [], labelColumn: 'b', minSamples: 1 }, 's.jsonl');
    expect(unusable.problems.map((p) => p.kind)).toEqual(['schema', 'schema']);
  });

  it('parseDecimal accepts exactly decimal notation and agrees with Number() bit for bit', () => {
    const reference = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;
    const rng = new Rng('decimals');
    const alphabet = ['0', '1', '5', '9', '.', 'e', 'E', '-', '+', ' ', 'x', 'a'];
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      let text: string;
      if (i % 2 === 0) {
        text = Array.from({ length: 1 + rng.int(8) }, () => alphabet[rng.int(alphabet.length)]).join('');
      } else {
        const digits = Array.from({ length: 1 + rng.int(20) }, () => String(rng.int(10))).join('');
        const point = rng.int(digits.length + 1);
        text = `${rng.next() < 0.5 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}${rng.next() < 0.3 ? `e${rng.int(80) - 40}` : ''}`;
      }
      const got = parseDecimal(text);
      if (reference.test(text) && Math.abs(Number(text)) <= 3.4028234663852886e38) {
        accepted++;
        expect(Object.is(got, Number(text)), text).toBe(true);
      } else {
        expect(got, text).toBeNaN();
      }
    }
    expect(accepted).toBeGreaterThan(10000);
    for (const bad of ['', ' ', 'NaN', 'nan', 'Infinity', '-inf', '0x10', '1e', '.', '+', '1.2.3', '1,5', '1e39']) expect(parseDecimal(bad), bad).toBeNaN();
    expect(parseDecimal('12345678901234567890')).toBe(12345678901234567890);
    expect(parseDecimal('0.30000000000000004')).toBe(0.30000000000000004);
    expect(Object.is(parseDecimal('-0'), -0)).toBe(true);
  });
});
