/**
 * Reads docs/PROTOCOL.md, the one place the protocol's known-answer vectors are written, so that
 * the tests check the document a reader sees against the code (no second copy of the vectors).
 */
import { readFileSync } from 'node:fs';

export const PROTOCOL_MD = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The text from the line starting with `start` up to (not including) the next line starting with `end`. */
export function docPart(start: string, end: string): string {
  const lines = PROTOCOL_MD.split('\n');
  const from = lines.findIndex((line) => line.startsWith(start));
  if (from < 0) throw new Error(`docs/PROTOCOL.md has no line starting with ${JSON.stringify(start)}`);
  const to = lines.findIndex((line, i) => i > from && line.startsWith(end));
  if (to < 0) throw new Error(`docs/PROTOCOL.md has no line starting with ${JSON.stringify(end)} after ${JSON.stringify(start)}`);
  return lines.slice(from, to).join('\n');
}

/**
 * The body rows of the markdown table whose header row is exactly `header` (cells trimmed, in
 * order) within `text`: each row as its cells, trimmed, backticks removed.
 */
export function tableRows(text: string, header: readonly string[]): string[][] {
  const lines = text.split('\n');
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
  const start = lines.findIndex((line) => line.trim().startsWith('|') && cells(line).join('\u0000') === header.join('\u0000'));
  if (start < 0) throw new Error(`no table with header | ${header.join(' | ')} |`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(cells(line).map((cell) => cell.replaceAll('`', '')));
  }
  if (rows.length === 0) throw new Error(`the table | ${header.join(' | ')} | has no rows`);
  return rows;
}

/** Hex digits (spaces and backticks ignored) as bytes. */
export function hexBytes(text: string): Uint8Array {
  const hex = text.replace(/[\s`]/g, '');
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
