/**
 * CSV writing (RFC 4180): a header row, then one line per row, each line ending in `\n`.
 * A field is quoted only when it must be (it holds a comma, a double quote, CR or LF); quotes
 * inside are doubled. Numbers are written with `String(n)` — the shortest text that reads back
 * as the same double, never locale-formatted — and `undefined` is an empty cell. The output
 * depends only on the input, so the same table always gives the same bytes.
 */

export type CsvCell = string | number | undefined;

export function toCsv(columns: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [columns.map(csvField).join(',')];
  rows.forEach((row, index) => {
    if (row.length !== columns.length) {
      throw new RangeError(`CSV row ${index + 1} has ${row.length} cells but there are ${columns.length} columns`);
    }
    lines.push(row.map(csvField).join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** One cell as CSV text, quoted when needed. */
export function csvField(value: CsvCell): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
