/** Plain-text printout of a bench record: its tables with aligned columns, then its goals. */
import { machineLine } from './machine.ts';
import type { BenchRecord } from './runner.ts';
import type { BenchTable } from './types.ts';

/** Numbers right-aligned, text left-aligned; a rule under the header. */
export function formatTable(table: BenchTable): string {
  const cells = [table.columns.map(String), ...table.rows.map((row) => row.map(formatCell))];
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const numeric = table.columns.map((_, column) => table.rows.length > 0 && table.rows.every((row) => typeof row[column] === 'number'));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (numeric[column] === true ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = cells;
  return [table.title, line(header ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** Integers as they are, other numbers to 4 significant digits (no digits lost above 1000). */
export function formatCell(value: string | number): string {
  if (typeof value === 'string' || !Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : String(Number(value.toPrecision(4)));
}

export function formatRecord(record: BenchRecord): string {
  const goals = record.goals.map((goal) => `  [${goal.met ? 'met' : 'MISSED'}] ${goal.goal}: ${goal.measured}`);
  return [
    record.summary,
    ...record.tables.map((table) => `\n${formatTable(table)}`),
    '',
    'Goals:',
    ...(goals.length > 0 ? goals : ['  (none stated)']),
    '',
    `${machineLine(record.machine)}; Node ${record.node}${record.backend === null ? '' : `; TF.js backend ${record.backend}`}; ${record.seconds.toFixed(1)} s`,
  ].join('\n');
}
