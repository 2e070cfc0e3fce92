import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../node/report/csv.ts';

describe('toCsv', () => {
  it('writes a header row first and ends every line with \\n', () => {
    expect(toCsv(['a', 'b'], [[1, 'x'], [2, 'y']])).toBe('a,b\n1,x\n2,y\n');
    expect(toCsv(['only'], [])).toBe('only\n');
  });

  it('quotes fields holding a comma, a quote, CR or LF, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('plain text')).toBe('plain text');
    expect(toCsv(['name, full', 'q"'], [['x,y', '"']])).toBe('"name, full","q"""\n"x,y",""""\n');
  });

  it('writes numbers exactly, without locale, and undefined as an empty cell', () => {
    expect(toCsv(['n'], [[0.1 + 0.2], [1234567.5], [1e21], [-0.000001], [42], [undefined]])).toBe(
      'n\n0.30000000000000004\n1234567.5\n1e+21\n-0.000001\n42\n\n',
    );
    expect(toCsv(['a', 'b', 'c'], [[undefined, 1, undefined]])).toBe('a,b,c\n,1,\n');
    const parsed = toCsv(['x'], [[0.1 + 0.2]]).split('\n')[1];
    expect(Number(parsed)).toBe(0.1 + 0.2);
  });

  it('is deterministic', () => {
    const rows = [[1, 'a,b', undefined], [2.5, 'c"d', 'e\nf']];
    expect(toCsv(['i', 's', 't'], rows)).toBe(toCsv(['i', 's', 't'], rows.map((r) => [...r])));
  });

  it('rejects a row with the wrong number of cells', () => {
    expect(() => toCsv(['a', 'b'], [[1]])).toThrow(/row 1 has 1 cells but there are 2 columns/);
  });
});
